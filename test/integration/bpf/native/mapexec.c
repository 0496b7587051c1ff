// Maps a file readable, then makes the mapping executable with mprotect, as a hand-written
// loader would: for the eBPF sensor's file_mprotect check. Built static.
//   mapexec FILE   prints "mapped-exec" and exits 0; on failure "<call>: <strerror>" and
//                  exits 126 when refused with EPERM or EACCES, 127 otherwise
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char* call) {
  int refused = errno == EPERM || errno == EACCES;
  fprintf(stderr, "%s: %s\n", call, strerror(errno));
  return refused ? 126 : 127;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: mapexec FILE\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("open");
  void* p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) return fail("mmap");
  if (mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0) return fail("mprotect");
  printf("mapped-exec\n");
  return 0;
}
