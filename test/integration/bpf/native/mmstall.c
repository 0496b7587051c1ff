// Stalls every reader of its own /proc/<pid>/cmdline: threads map and unmap populated
// memory, taking the process's mmap lock for writing again and again, while the main thread
// execs a program over and over. A reader (the exec guard building a finding) waits for that
// lock: seconds, on this machine kind. Needs no privilege.
// Usage: mmstall MIB THREADS TRIES PROGRAM [ARGS...]; prints "refused N" when every try failed.
// With TRIES 0 it only stalls, until killed (prints "stalling" once the threads run).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t bytes;

static void* hammer(void* unused) {
  (void)unused;
  for (;;) {
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) continue;
    munmap(p, bytes);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: mmstall MIB THREADS TRIES PROGRAM [ARGS...]\n");
    return 2;
  }
  bytes = (size_t)atoi(argv[1]) << 20;
  int threads = atoi(argv[2]), tries = atoi(argv[3]);
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    pthread_create(&t, NULL, hammer, NULL);
  }
  usleep(200 * 1000);
  if (tries == 0) {
    printf("stalling\n");
    fflush(stdout);
    for (;;) pause();
  }
  int refused = 0;
  for (int i = 0; i < tries; i++) {
    execv(argv[4], argv + 4);  // returns only when refused
    if (errno != EPERM && errno != EACCES) {
      fprintf(stderr, "execv: %s\n", strerror(errno));
      return 3;
    }
    refused++;
  }
  printf("refused %d\n", refused);
  fflush(stdout);
  _exit(0);
}
