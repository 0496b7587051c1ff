// execve()s DIR/0 .. DIR/N-1, files that are no program: each raises the exec permission
// event (the open for exec comes first), then fails with ENOEXEC without replacing this
// process. Prints how many failed with ENOEXEC and how many otherwise (EPERM: refused).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: execmany DIR N\n");
    return 2;
  }
  long count = atol(argv[2]);
  long noexec = 0, other = 0;
  char path[4096];
  char* empty[] = {NULL};
  for (long i = 0; i < count; i++) {
    snprintf(path, sizeof path, "%s/%ld", argv[1], i);
    char* args[] = {path, NULL};
    execve(path, args, empty);
    if (errno == ENOEXEC)
      noexec++;
    else
      other++;
  }
  printf("{\"noexec\":%ld,\"other\":%ld}\n", noexec, other);
  return 0;
}
