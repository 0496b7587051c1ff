// Stalls every reader of its own /proc/<pid>/cmdline: threads map and unmap populated
// memory, taking the process's mmap lock for writing again and again, while the main thread
// execs a program over and over. A reader (the exec guard building a finding) waits for that
// lock: seconds, on this machine kind. Needs no privilege.
// Usage: mmstall MIB THREADS MS PROGRAM [ARGS...]: tries for MS milliseconds, 5 ms apart (a
// read that is not stalled now may be on the next try); prints "refused N" when every try
// failed. With MS 0 it only stalls, until killed (prints "stalling" once the threads run).
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
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
    fprintf(stderr, "usage: mmstall MIB THREADS MS PROGRAM [ARGS...]\n");
    return 2;
  }
  bytes = (size_t)atoi(argv[1]) << 20;
  int threads = atoi(argv[2]), ms = atoi(argv[3]);
  for (int i = 0; i < threads; i++) {
    pthread_t t;
    pthread_create(&t, NULL, hammer, NULL);
  }
  usleep(200 * 1000);
  if (ms == 0) {
    printf("stalling\n");
    fflush(stdout);
    for (;;) pause();
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int refused = 0;
  do {
    execv(argv[4], argv + 4);  // returns only when refused
    if (errno != EPERM && errno != EACCES) {
      fprintf(stderr, "execv: %s\n", strerror(errno));
      return 3;
    }
    refused++;
    usleep(5 * 1000);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
  printf("refused %d\n", refused);
  fflush(stdout);
  _exit(0);
}
