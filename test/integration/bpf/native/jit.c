// A stand-in for a JIT runtime (the JVM) for the allow.parents tests. Built static.
//   jit serve                 stays up (a container's PID 1) and reaps orphans
//   jit spawn OUT SRC ARG...  writes a "generated" program OUT (a copy of SRC, executable),
//                             runs it from a forked child as ProcessBuilder does (the child's
//                             program is still jit when it calls execve) and exits with its
//                             status (126 when the exec was refused)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int copy(const char* from, const char* to) {
  int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
  if (in < 0 || out < 0) return -1;
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0) {
    if (write(out, buf, (size_t)n) != n) return -1;
  }
  close(in);
  return close(out);
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "serve") == 0) {
    for (;;) {
      if (wait(NULL) < 0 && errno == ECHILD) pause();
    }
  }
  if (argc < 4 || strcmp(argv[1], "spawn") != 0) {
    fprintf(stderr, "usage: jit serve | jit spawn OUT SRC ARG...\n");
    return 2;
  }
  if (copy(argv[3], argv[2]) != 0) {
    perror("copy");
    return 1;
  }
  pid_t child = fork();
  if (child == 0) {
    argv[3] = argv[2];
    execv(argv[2], argv + 3);
    fprintf(stderr, "execv %s: %s\n", argv[2], strerror(errno));
    _exit(errno == EPERM || errno == EACCES ? 126 : 127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
