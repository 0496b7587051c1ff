// The guest's cost measurements: see guestBench.cc.
#pragma once

#include "bpf/BpfSensor.hh"

namespace driftguard {

// Nanoseconds per call of what the LSM programs hook on every open and every executable
// mapping. Emulated (TCG), so only the ratio with and without the sensor says anything.
struct HookCosts {
  double openRead = 0, openWrite = 0, mmapExec = 0, exec = 0;
};

constexpr int kExecRounds = 100;  // ~50 ms each under TCG: the two loops add ~10 s per kernel

// fork + exec + wait of /merged/bin/hello in the cgroup, ns per round.
double execNs(const char* cgroup, int rounds);
HookCosts measureHooks();
void printProgramCosts(const BpfSensor& sensor);
void setBpfStats(bool on);
void printHookCosts(const HookCosts& before, const HookCosts& after);

}  // namespace driftguard
