// Which BPF program types this kernel loads and attaches, tried with a two-instruction
// program of each type (load, attach, detach). Kernels refuse per type and per machine:
// the project's CI VM loads raw tracepoints but refuses LSM and fentry programs with
// EPERM; Debian's cloud kernels load all of them. [JS thread, at start]
#pragma once

#include <string>
#include <vector>

#include "bpf/SensorTypes.hh"

namespace driftguard {

// Fills types; appends one sentence per refused type to reasons ("lsm: load: ...").
ProgramTypes probeProgramTypes(std::vector<std::string>* reasons);

// The active LSMs from securityfs ("" when it is not mounted).
std::string activeLsms();

}  // namespace driftguard
