#include "guard/ProcessOwners.hh"

#include <unistd.h>

#include <fstream>

#include "util/ProcInfo.hh"

namespace driftguard {

namespace {
// Cgroup ids name cgroup v2 groups; on a host without cgroup v2 every process reports the
// same root id and only the v1 paths in /proc/<pid>/cgroup tell containers apart.
bool cgroupV2Mounted() {
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line)) {
    if (line.find(" - cgroup2 ") != std::string::npos) return true;
  }
  return false;
}
}  // namespace

ProcessOwners::ProcessOwners(bool forceNamespace) {
  bool unsupported = false;
  byCgroupId_ = !forceNamespace && cgroupIdOf(getpid(), &unsupported) != 0 && !unsupported && cgroupV2Mounted();
}

Owner ProcessOwners::ownerOf(const Tables& tables, int32_t pid) {
  if (byCgroupId_) return fromCgroupId(tables, pid);
  return fromMountNamespace(tables, pid);
}

Owner ProcessOwners::fromCgroupId(const Tables& tables, int32_t pid) {
  bool unsupported = false;
  uint64_t id = cgroupIdOf(pid, &unsupported);
  if (id == 0) return {OwnerKind::Host, nullptr};  // gone: nothing will run
  auto cached = byCgroup_.find(id);
  if (cached != byCgroup_.end()) {
    if (cached->second.containerId.empty()) return {OwnerKind::Host, nullptr};
    if (cached->second.generation == tables.generation) {
      auto it = tables.containers.find(cached->second.containerId);
      if (it != tables.containers.end()) return {OwnerKind::Container, it->second.get()};
    }
  }
  std::string cgroup = cgroupOf(pid);
  if (byCgroup_.size() >= kMaxCached) byCgroup_.clear();
  if (const ContainerTable* container = tables.containerByCgroupLeaf(cgroup)) {
    byCgroup_[id] = {tables.generation, container->id};
    return {OwnerKind::Container, container};
  }
  // A container being started is not cached: it is attached any moment now.
  if (tables.looksLikeContainerCgroup(cgroup)) return {OwnerKind::Unattached, nullptr};
  byCgroup_[id] = {0, ""};
  return {OwnerKind::Host, nullptr};
}

Owner ProcessOwners::fromMountNamespace(const Tables& tables, int32_t pid) {
  uint64_t ns = mountNamespaceOf(pid);
  if (ns == 0 || (tables.hostMountNamespace != 0 && ns == tables.hostMountNamespace)) {
    return {OwnerKind::Host, nullptr};  // ns 0: the process is gone, nothing runs
  }
  auto cached = byNamespace_.find(ns);
  if (cached != byNamespace_.end() && cached->second.generation == tables.generation) {
    auto it = tables.containers.find(cached->second.containerId);
    if (it != tables.containers.end()) return {OwnerKind::Container, it->second.get()};
  }
  std::string cgroup = cgroupOf(pid);
  if (const ContainerTable* container = tables.containerByCgroupLeaf(cgroup)) {
    if (byNamespace_.size() >= kMaxCached) byNamespace_.clear();
    byNamespace_[ns] = {tables.generation, container->id};
    return {OwnerKind::Container, container};
  }
  // Not cached: a namespace seen as "other" could be reused by a container starting up.
  return {tables.looksLikeContainerCgroup(cgroup) ? OwnerKind::Unattached : OwnerKind::Other, nullptr};
}

}  // namespace driftguard
