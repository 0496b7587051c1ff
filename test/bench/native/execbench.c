// fork+exec+wait of one program N times, timing each round trip; prints one JSON line with
// percentiles. Built static so that it runs inside a busybox container as an image binary.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double nowMicros(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: execbench N PROGRAM [ARGS...]\n");
    return 2;
  }
  int n = atoi(argv[1]);
  double* samples = calloc((size_t)n, sizeof *samples);
  int failed = 0;
  for (int i = 0; i < n; i++) {
    double start = nowMicros();
    pid_t pid = fork();
    if (pid == 0) {
      execv(argv[2], argv + 2);
      _exit(127);  // exec refused: still a full round trip for the caller
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    samples[i] = nowMicros() - start;
  }
  qsort(samples, (size_t)n, sizeof *samples, compare);
  double sum = 0;
  for (int i = 0; i < n; i++) sum += samples[i];
  printf("{\"n\":%d,\"failed\":%d,\"p50_us\":%.1f,\"p99_us\":%.1f,\"mean_us\":%.1f}\n", n, failed, samples[n / 2],
         samples[(int)(n * 0.99)], sum / n);
  return 0;
}
