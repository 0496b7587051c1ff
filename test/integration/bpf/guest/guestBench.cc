// The guest's cost measurements (the "# bench" lines test/bench/bpf.bench.ts reads): what
// the sensor's hooks add to opens, executable mappings and execs, and the programs' own time.
#include "guestBench.hh"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace driftguard {

// fork + exec + wait of a dynamically linked image program in the container (the loader
// opens and maps libc: every hook of the sensor runs).
double execNs(const char* cgroup, int rounds) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < rounds; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      int fd = open((std::string(cgroup) + "/cgroup.procs").c_str(), O_WRONLY);
      if (fd < 0 || write(fd, "0", 1) != 1) _exit(99);
      close(fd);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      char* argv[] = {const_cast<char*>("/merged/bin/hello"), nullptr};
      execv(argv[0], argv);
      _exit(127);
    }
    waitpid(pid, nullptr, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / rounds;
}

HookCosts measureHooks() {
  constexpr int kRounds = 20000;
  auto perCall = [](auto&& body) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < kRounds; i++) body();
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / kRounds;
  };
  HookCosts c;
  c.openRead = perCall([] { close(open("/merged/bin/hello", O_RDONLY)); });
  c.openWrite = perCall([] { close(open("/merged/tmp/bench", O_WRONLY | O_CREAT, 0644)); });
  int fd = open("/merged/lib/good.so", O_RDONLY);
  c.mmapExec = perCall([fd] {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) munmap(p, 4096);
  });
  close(fd);
  return c;
}

// The programs' own time per run, counted by the kernel while bpf_stats_enabled is 1.
void printProgramCosts(const BpfSensor& sensor) {
  for (const ProgramRunTime& p : sensor.programRunTimes()) {
    if (p.runs == 0) continue;
    printf("# bench program %s: %.0f ns per run over %llu runs\n", p.name.c_str(),
           static_cast<double>(p.runTimeNs) / static_cast<double>(p.runs), static_cast<unsigned long long>(p.runs));
  }
}

void setBpfStats(bool on) {
  int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_WRONLY);
  if (fd >= 0 && write(fd, on ? "1" : "0", 1) != 1) perror("bpf_stats_enabled");
  if (fd >= 0) close(fd);
}

void printHookCosts(const HookCosts& before, const HookCosts& after) {
  auto line = [](const char* what, double a, double b) {
    printf("# bench %s: %.0f ns without the sensor, %.0f ns with it (%.2fx)\n", what, a, b, b / a);
  };
  line("open O_RDONLY on the overlay", before.openRead, after.openRead);
  line("open O_WRONLY on the overlay", before.openWrite, after.openWrite);
  line("mmap PROT_EXEC of an image library", before.mmapExec, after.mmapExec);
  line("fork + exec + wait of a dynamic image program", before.exec, after.exec);
}

}  // namespace driftguard
