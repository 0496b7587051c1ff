// Holds a write lease on a file for a while, ignoring the kernel's requests to give it up:
// whoever opens the file meanwhile (the fanotify read() creating an event's descriptor
// too) waits in break_lease. For the watchdog test of a stall inside read(). Built static.
//   leasehold FILE MS   prints "leased" once held and "broken" when someone first waits for
//                       it, exits MS ms after "leased" (0), or 1 on failure
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t told = 0;

static void broken(int signal) {
  (void)signal;
  if (told) return;
  told = 1;
  ssize_t ignored = write(1, "broken\n", 7);
  (void)ignored;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: leasehold FILE MS\n");
    return 2;
  }
  signal(SIGIO, broken);  // a lease break's SIGIO would terminate us
  int fd = open(argv[1], O_RDWR);
  if (fd < 0 || fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
    fprintf(stderr, "leasehold %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  printf("leased\n");
  fflush(stdout);
  // The lease break's SIGIO interrupts a sleep: sleep until the time is really up.
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  long ms = atol(argv[2]);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR) {
  }
  return 0;
}
