// The BPF maps the agent fills from its container tables, and the per-CPU counters.
//   containers     cgroup v2 id → modes (exec: fileless; library: writable-layer mappings)
//   trusted_files  (dev, ino) of writable-layer files the agent hashed equal to the
//                  image file at their path → ctime
//   written        overlay inodes opened for write or truncated (filled by BPF; the
//                  agent only forgets an overlay's entries when its container goes)
//   watched_devs   filesystems whose execs fanotify decides (marked ones, containers' overlays)
//   volume_devs, container_volumes
//                  filesystems judged when a container maps their files executable
// trusted_files is an allow-list on purpose: a dropped library is new on the writable
// layer and the agent learns of it only when it is used, i.e. at the mmap; a deny-list
// would always be one file late. Copies made while the sensor watches need no entry (the
// written map says whether anyone wrote them); entries are for copies the agent hashed
// (those already there when it started watching, and refused ones). A writable-layer
// binary that is exec'd needs no entry: its own mappings are left to fanotify (see
// sensor.bpf.c). All calls: [JS thread]. Errors throw std::runtime_error naming the call.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "bpf/SensorTypes.hh"

namespace driftguard {

class SensorMaps {
 public:
  // Map descriptors; -1 for the maps only the LSM programs use when they are not loaded.
  struct Fds {
    int containers = -1, trustedFiles = -1, stats = -1;
    int written = -1, volumeDevs = -1, containerVolumes = -1;
    int watchedDevs = -1;
  };
  explicit SensorMaps(const Fds& fds);

  void putContainers(const std::vector<SensorContainer>& containers);
  void removeContainers(const std::vector<uint64_t>& cgroupIds);
  void putTrustedFiles(const std::vector<TrustedFile>& files);
  void removeTrustedFiles(const std::vector<TrustedFile>& files);
  // Filesystems (st_dev) whose execs fanotify decides: counted per call, so a filesystem
  // watched twice stays watched until unwatched twice.
  void watchFilesystems(const std::vector<uint64_t>& userDevs);
  void unwatchFilesystems(const std::vector<uint64_t>& userDevs);
  size_t watchedCount() const { return watchedUsers_.size(); }
  // Forgets the written marks of one overlay mount (its st_dev); returns how many.
  uint64_t forgetWritten(uint64_t overlayDev);
  // Adds the BPF counters (summed over CPUs) to stats.
  void addCounters(SensorStats* stats) const;

  // st_dev (glibc encoding) → the kernel's internal dev_t (MAJOR << 20 | MINOR).
  static uint64_t kernelDev(uint64_t userDev);
  static uint64_t userDev(uint64_t kernelDev);

 private:
  // Makes the container's judged volumes exactly devs (st_dev encoding); {} removes them.
  void putVolumes(uint64_t cgroupId, const std::vector<uint64_t>& devs);
  void addVolume(uint64_t cgroupId, uint64_t kernelDev);
  void dropVolume(uint64_t cgroupId, uint64_t kernelDev);

  Fds fds_;
  // What volume_devs and container_volumes hold, to count users per dev and to remove a
  // container's entries without walking the maps.
  std::unordered_map<uint64_t, std::vector<uint64_t>> volumesOf_;  // cgroup id → kernel devs
  std::unordered_map<uint64_t, uint32_t> volumeUsers_;             // kernel dev → containers
  std::unordered_map<uint64_t, uint32_t> watchedUsers_;            // kernel dev → watchers
};

}  // namespace driftguard
