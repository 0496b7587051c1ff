// The eBPF sensor: sees what fanotify cannot (fileless execs, execs from filesystems
// mounted after attach, the loader trick, dropped libraries). start() probes which program types the kernel accepts,
// loads the embedded BPF object (a libbpf skeleton) with the LSM programs where they run, else with the
// sched_process_exec tracepoint, and starts the ring-buffer reader. A kernel that refuses
// everything is not an error: coverage() says so. Knows nothing of N-API (BpfSensorWrap)
// so that the QEMU guest test links it into a static program.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bpf/SensorTypes.hh"

struct dg_event;

namespace driftguard {

class BpfSensor {
 public:
  BpfSensor(const SensorOptions& options, SensorSink& sink);  // [JS thread]
  ~BpfSensor();                                               // [JS thread] stop()

  const Coverage& start();                                // [JS thread] idempotent; throws only on a user-space failure
  const Coverage& coverage() const { return coverage_; }  // [JS thread]

  // [JS thread] Container tables. Throw std::runtime_error naming the failed call; no-ops
  // when nothing is loaded.
  void putContainers(const std::vector<SensorContainer>& containers);
  void removeContainers(const std::vector<uint64_t>& cgroupIds);
  void putTrustedFiles(const std::vector<TrustedFile>& files);
  void removeTrustedFiles(const std::vector<TrustedFile>& files);
  uint64_t forgetWritten(uint64_t overlayDev);
  // Filesystems (st_dev) whose execs fanotify decides; a container's exec from any other is drift.
  void watchFilesystems(const std::vector<uint64_t>& devs);
  void unwatchFilesystems(const std::vector<uint64_t>& devs);

  SensorStats stats() const;  // [JS thread]
  // [JS thread] Per loaded program; zeros unless kernel.bpf_stats_enabled is 1.
  std::vector<ProgramRunTime> programRunTimes() const;
  void stop();  // [JS thread] detaches everything, delivers what is queued

 private:
  struct Loaded;  // the skeleton, its links, maps and reader (BpfSensor.cc)

  void load();                                      // [JS thread]
  bool attachLsm();                                 // [JS thread]
  void attachTracepoint();                          // [JS thread]
  bool lsmRuns() const;                             // [JS thread] the self-test
  SensorFinding convert(const struct dg_event& e);  // [reader thread]

  const SensorOptions options_;
  SensorSink& sink_;
  Coverage coverage_;
  std::unique_ptr<Loaded> loaded_;
  int64_t bootToWallNs_ = 0;

  mutable std::mutex containersMutex_;  // the reader thread attributes, the JS thread fills
  std::unordered_map<uint64_t, std::string> containerIds_;
  bool started_ = false, stopped_ = false;
};

}  // namespace driftguard
