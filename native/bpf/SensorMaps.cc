#include "bpf/SensorMaps.hh"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "bpf/progs/sensor_abi.h"

namespace driftguard {

namespace {
[[noreturn]] void fail(const char* call, const char* map) {
  throw std::runtime_error(std::string(call) + "(" + map + "): " + strerror(errno));
}
}  // namespace

SensorMaps::SensorMaps(const Fds& fds) : fds_(fds) {}

uint64_t SensorMaps::kernelDev(uint64_t userDev) {
  return (static_cast<uint64_t>(major(userDev)) << 20) | minor(userDev);
}

uint64_t SensorMaps::userDev(uint64_t kernelDev) {
  return makedev(static_cast<unsigned>(kernelDev >> 20), static_cast<unsigned>(kernelDev & 0xfffff));
}

void SensorMaps::putContainers(const std::vector<SensorContainer>& containers) {
  for (const SensorContainer& c : containers) {
    struct dg_container value = {};
    value.exec_mode = c.execMode;
    value.library_mode = c.libraryMode;
    value.flags = c.trustUnwrittenCopies ? DG_CONTAINER_TRUST_UNWRITTEN_COPIES : 0;
    __u64 key = c.cgroupId;
    // Volumes first: the container's entry must not be judged with a stale volume set.
    putVolumes(c.cgroupId, c.volumeDevs);
    if (bpf_map_update_elem(fds_.containers, &key, &value, BPF_ANY) < 0) fail("bpf_map_update_elem", "containers");
  }
}

void SensorMaps::putVolumes(uint64_t cgroupId, const std::vector<uint64_t>& userDevs) {
  if (fds_.volumeDevs < 0) return;  // loaded without the LSM programs
  std::vector<uint64_t> devs;
  for (uint64_t userDev : userDevs) {
    uint64_t dev = kernelDev(userDev);
    if (std::find(devs.begin(), devs.end(), dev) == devs.end()) devs.push_back(dev);
  }
  std::vector<uint64_t>& before = volumesOf_[cgroupId];
  // New ones first: a volume judged before and after is never unjudged in between.
  for (uint64_t dev : devs) {
    if (std::find(before.begin(), before.end(), dev) == before.end()) addVolume(cgroupId, dev);
  }
  for (uint64_t dev : before) {
    if (std::find(devs.begin(), devs.end(), dev) == devs.end()) dropVolume(cgroupId, dev);
  }
  if (devs.empty()) {
    volumesOf_.erase(cgroupId);
  } else {
    before = std::move(devs);
  }
}

void SensorMaps::addVolume(uint64_t cgroupId, uint64_t dev) {
  struct dg_volume_key key = {cgroupId, dev};
  __u8 one = 1;
  if (bpf_map_update_elem(fds_.containerVolumes, &key, &one, BPF_ANY) < 0)
    fail("bpf_map_update_elem", "container_volumes");
  if (volumeUsers_[dev]++ == 0) {
    __u64 devKey = dev;
    if (bpf_map_update_elem(fds_.volumeDevs, &devKey, &one, BPF_ANY) < 0) fail("bpf_map_update_elem", "volume_devs");
  }
}

void SensorMaps::dropVolume(uint64_t cgroupId, uint64_t dev) {
  struct dg_volume_key key = {cgroupId, dev};
  bpf_map_delete_elem(fds_.containerVolumes, &key);
  if (--volumeUsers_[dev] == 0) {
    volumeUsers_.erase(dev);
    __u64 devKey = dev;
    bpf_map_delete_elem(fds_.volumeDevs, &devKey);
  }
}

void SensorMaps::removeContainers(const std::vector<uint64_t>& cgroupIds) {
  for (uint64_t id : cgroupIds) {
    __u64 key = id;
    if (bpf_map_delete_elem(fds_.containers, &key) < 0 && errno != ENOENT) fail("bpf_map_delete_elem", "containers");
    putVolumes(id, {});
  }
}

void SensorMaps::watchFilesystems(const std::vector<uint64_t>& userDevs) {
  for (uint64_t userDev : userDevs) {
    __u64 dev = kernelDev(userDev);
    __u8 one = 1;
    if (watchedUsers_[dev] == 0 && bpf_map_update_elem(fds_.watchedDevs, &dev, &one, BPF_ANY) < 0) {
      watchedUsers_.erase(dev);
      fail("bpf_map_update_elem", "watched_devs");
    }
    watchedUsers_[dev]++;
  }
}

void SensorMaps::unwatchFilesystems(const std::vector<uint64_t>& userDevs) {
  for (uint64_t userDev : userDevs) {
    __u64 dev = kernelDev(userDev);
    auto it = watchedUsers_.find(dev);
    if (it == watchedUsers_.end() || --it->second > 0) continue;
    watchedUsers_.erase(it);
    bpf_map_delete_elem(fds_.watchedDevs, &dev);
  }
}

void SensorMaps::putTrustedFiles(const std::vector<TrustedFile>& files) {
  for (const TrustedFile& f : files) {
    struct dg_file_key key = {kernelDev(f.dev), f.ino};
    struct dg_file_stamp stamp = {};
    stamp.ctime_sec = f.ctimeSec;
    stamp.ctime_nsec = f.ctimeNsec;
    if (bpf_map_update_elem(fds_.trustedFiles, &key, &stamp, BPF_ANY) < 0) fail("bpf_map_update_elem", "trusted_files");
  }
}

void SensorMaps::removeTrustedFiles(const std::vector<TrustedFile>& files) {
  for (const TrustedFile& f : files) {
    struct dg_file_key key = {kernelDev(f.dev), f.ino};
    if (bpf_map_delete_elem(fds_.trustedFiles, &key) < 0 && errno != ENOENT) {
      fail("bpf_map_delete_elem", "trusted_files");
    }
  }
}

uint64_t SensorMaps::forgetWritten(uint64_t overlayDev) {
  if (fds_.written < 0) return 0;  // loaded without the LSM programs
  uint64_t dev = kernelDev(overlayDev), forgotten = 0;
  struct dg_file_key key = {}, next = {};
  std::vector<struct dg_file_key> doomed;
  // Collected first: deleting while iterating a hash map may restart the walk.
  for (void* prev = nullptr; bpf_map_get_next_key(fds_.written, prev, &next) == 0; prev = &key) {
    key = next;
    if (key.dev == dev) doomed.push_back(key);
  }
  for (struct dg_file_key& k : doomed) {
    if (bpf_map_delete_elem(fds_.written, &k) == 0) forgotten++;
  }
  return forgotten;
}

void SensorMaps::addCounters(SensorStats* s) const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return;
  std::vector<struct dg_counters> perCpu(static_cast<size_t>(cpus));
  __u32 zero = 0;
  if (bpf_map_lookup_elem(fds_.stats, &zero, perCpu.data()) < 0) return;  // counters are best effort
  for (const struct dg_counters& c : perCpu) {
    s->execs += c.execs;
    s->fileless += c.fileless;
    s->runcExcepted += c.runc_excepted;
    s->lsmExecHits += c.lsm_exec_hits;
    s->lsmMmapHits += c.lsm_mmap_hits;
    s->blocked += c.blocked;
    s->audited += c.audited;
    s->forcedWakeups += c.forced_wakeups;
    s->ringbufFull += c.ringbuf_full;
    s->writtenMarks += c.written_marks;
    s->writtenLost += c.written_lost;
    s->copiesTrusted += c.copies_trusted;
    s->unwatched += c.unwatched;
    s->killed += c.killed;
    s->hostMountNamespace += c.host_mntns;
    s->entryUnknown += c.entry_unknown;
  }
}

}  // namespace driftguard
