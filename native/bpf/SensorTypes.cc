#include "bpf/SensorTypes.hh"

#include "bpf/progs/sensor_abi.h"
#include "decide/Types.hh"

namespace driftguard {

// The BPF programs write these numbers into maps and events; the loader reads them as the enums.
static_assert(DG_MODE_DISABLED == static_cast<int>(Mode::Disabled) && DG_MODE_AUDIT == static_cast<int>(Mode::Audit) &&
                  DG_MODE_ENFORCE == static_cast<int>(Mode::Enforce),
              "sensor_abi.h DG_MODE_* must equal driftguard::Mode");
static_assert(DG_VERDICT_BLOCKED == static_cast<int>(Verdict::Blocked) &&
                  DG_VERDICT_AUDITED == static_cast<int>(Verdict::Audited),
              "sensor_abi.h DG_VERDICT_* must equal driftguard::Verdict");
// DG_VERDICT_KILLED has no Verdict: the loader reads it as a blocked verdict with Action::Killed.
// DG_KIND_* of each SensorReason, in enum order: a reason added without its kind leaves a 0.
constexpr std::array<int, static_cast<size_t>(SensorReason::kCount)> kSensorReasonKinds = {
    DG_KIND_FILELESS, DG_KIND_LIBRARY, DG_KIND_UNWATCHED};
constexpr bool kindIsReasonPlusOne() {
  for (size_t i = 0; i < kSensorReasonKinds.size(); i++) {
    if (kSensorReasonKinds[i] != static_cast<int>(i) + 1) return false;
  }
  return true;
}
static_assert(kindIsReasonPlusOne(), "sensor_abi.h DG_KIND_* must be SensorReason + 1, one per reason");
static_assert(everyValueNamed<SensorReason>(kSensorReasonNames), "a SensorReason without a name");

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
