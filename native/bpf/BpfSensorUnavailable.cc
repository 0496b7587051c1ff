// BpfSensor for an addon built without clang, bpftool or libbpf-dev (binding.gyp picks
// this file instead of BpfSensor.cc): the same API, no coverage, one reason that says
// what to install. The fanotify guard does not depend on it.
#include "bpf/BpfSensor.hh"

namespace driftguard {

struct BpfSensor::Loaded {};

BpfSensor::BpfSensor(const SensorOptions& options, SensorSink& sink) : options_(options), sink_(sink) {}

BpfSensor::~BpfSensor() = default;

const Coverage& BpfSensor::start() {
  if (!started_) {
    started_ = true;
    coverage_.reasons.push_back(
        "no eBPF coverage: the addon was built without the sensor (install clang, llvm, libbpf-dev and bpftool, "
        "then rebuild)");
  }
  return coverage_;
}

void BpfSensor::putContainers(const std::vector<SensorContainer>&) {}
void BpfSensor::removeContainers(const std::vector<uint64_t>&) {}
void BpfSensor::putTrustedFiles(const std::vector<TrustedFile>&) {}
void BpfSensor::removeTrustedFiles(const std::vector<TrustedFile>&) {}
void BpfSensor::watchFilesystems(const std::vector<uint64_t>&) {}
void BpfSensor::unwatchFilesystems(const std::vector<uint64_t>&) {}
uint64_t BpfSensor::forgetWritten(uint64_t) {
  return 0;
}

SensorStats BpfSensor::stats() const {
  return {};
}

std::vector<ProgramRunTime> BpfSensor::programRunTimes() const {
  return {};
}

void BpfSensor::stop() {
  stopped_ = true;
}

}  // namespace driftguard
