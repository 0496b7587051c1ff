// Runs a program without a file, as an attacker would, for the eBPF sensor's tests:
//   fileless memfd NAME SOURCE ARGV0 [ARGS...]     memfd_create(NAME) + execveat(AT_EMPTY_PATH)
//   fileless deleted TMPPATH SOURCE ARGV0 [ARGS...] copy, open, unlink, execve(/proc/self/fd/N)
//   fileless hold NAME SOURCE PROGRAM [ARGS...]     a memfd left open (fd 3) for PROGRAM, which
//                                                  may exec /proc/self/fd/3 (the benchmark)
// SOURCE is copied into the file. On failure prints "<call>: <strerror>" and exits 126
// when the exec was refused with EPERM, 127 otherwise. Built static: it runs in test beds.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char* call) {
  int refused = errno == EPERM || errno == EACCES;
  fprintf(stderr, "%s: %s\n", call, strerror(errno));
  return refused ? 126 : 127;
}

static int copyInto(int fd, const char* source) {
  int in = open(source, O_RDONLY | O_CLOEXEC);
  if (in < 0) return -1;
  struct stat st;
  if (fstat(in, &st) < 0) return -1;
  off_t offset = 0;
  while (offset < st.st_size) {
    if (sendfile(fd, in, &offset, (size_t)(st.st_size - offset)) <= 0) return -1;
  }
  close(in);
  return 0;
}

static int makeMemfd(const char* name, const char* source, unsigned flags) {
  int fd = (int)syscall(SYS_memfd_create, name, flags);
  if (fd < 0 || copyInto(fd, source) < 0) return -1;
  return fd;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: fileless memfd|deleted|hold NAME|TMPPATH SOURCE ARGV0|PROGRAM [ARGS...]\n");
    return 2;
  }
  extern char** environ;
  const char* mode = argv[1];
  if (strcmp(mode, "memfd") == 0) {
    int fd = makeMemfd(argv[2], argv[3], MFD_CLOEXEC);
    if (fd < 0) return fail("memfd_create");
    syscall(SYS_execveat, fd, "", argv + 4, environ, AT_EMPTY_PATH);
    return fail("execveat");
  }
  if (strcmp(mode, "deleted") == 0) {
    int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0 || copyInto(out, argv[3]) < 0) return fail("copy");
    close(out);
    int fd = open(argv[2], O_RDONLY);  // not O_CLOEXEC: exec'd through /proc/self/fd
    if (fd < 0) return fail("open");
    if (unlink(argv[2]) < 0) return fail("unlink");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    execve(path, argv + 4, environ);
    return fail("execve");
  }
  if (strcmp(mode, "hold") == 0) {
    int fd = makeMemfd(argv[2], argv[3], 0);
    if (fd < 0) return fail("memfd_create");
    if (fd != 3 && (dup2(fd, 3) < 0 || close(fd) < 0)) return fail("dup2");
    execv(argv[4], argv + 4);
    return fail("execv");
  }
  fprintf(stderr, "fileless: unknown mode %s\n", mode);
  return 2;
}
