#include "bpf/SensorTypes.hh"

namespace driftguard {

const char* sensorReasonName(SensorReason r) {
  return r == SensorReason::Library ? "library" : "fileless";
}

const char* sensorSourceName(SensorSource s) {
  switch (s) {
    case SensorSource::Tracepoint: return "tracepoint";
    case SensorSource::LsmExec: return "lsm_exec";
    case SensorSource::LsmMmap: return "lsm_mmap";
    case SensorSource::LsmMprotect: return "lsm_mprotect";
  }
  return "tracepoint";
}

}  // namespace driftguard
