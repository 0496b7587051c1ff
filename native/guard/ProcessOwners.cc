#include "guard/ProcessOwners.hh"

#include <fcntl.h>
#include <sys/stat.h>
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

ProcessOwners::~ProcessOwners() {
  forgetNamespaces();
}

void ProcessOwners::tablesChanged(uint64_t generation) {
  if (namespaceGeneration_ == generation) return;
  forgetNamespaces();
  namespaceGeneration_ = generation;
}

Owner ProcessOwners::ownerOf(const Tables& tables, int32_t pid) {
  if (byCgroupId_) return fromCgroupId(tables, pid);
  return fromMountNamespace(tables, pid);
}

Owner ProcessOwners::fromCgroupId(const Tables& tables, int32_t pid) {
  ProcessHandle process(pid);
  bool unsupported = false;
  uint64_t id = process.cgroupId(&unsupported);
  if (id == 0) return {OwnerKind::Host, nullptr};  // gone: nothing will run
  auto cached = byCgroup_.find(id);
  if (cached != byCgroup_.end()) {
    if (cached->second.containerId.empty()) return {OwnerKind::Host, nullptr};
    if (cached->second.generation == tables.generation) {
      auto it = tables.containers.find(cached->second.containerId);
      if (it != tables.containers.end()) return {OwnerKind::Container, it->second.get()};
    }
  }
  // The path must be this process's: the id's owner is cached for good.
  std::string cgroup;
  if (!process.cgroupPath(&cgroup)) return {OwnerKind::Host, nullptr};  // reaped: nothing runs
  // Every live process has a cgroup: a read that failed tells nothing, and is not cached.
  if (cgroup.empty()) return {OwnerKind::Unattached, nullptr};
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
  tablesChanged(tables.generation);  // entries hold for one generation
  auto cached = byNamespace_.find(ns);
  if (cached != byNamespace_.end()) {
    auto it = tables.containers.find(cached->second.containerId);
    if (it != tables.containers.end()) return {OwnerKind::Container, it->second.get()};
  }
  std::string cgroup = cgroupOf(pid);
  if (const ContainerTable* container = tables.containerByCgroupLeaf(cgroup)) {
    cacheNamespace(pid, ns, container->id);
    return {OwnerKind::Container, container};
  }
  // Not cached: a namespace seen as "other" could be reused by a container starting up.
  return {tables.looksLikeContainerCgroup(cgroup) ? OwnerKind::Unattached : OwnerKind::Other, nullptr};
}

// Cached only while pinned: the fd must be of the namespace that was stat'ed (the process
// may have exited, and its number been reused, in between).
void ProcessOwners::cacheNamespace(int32_t pid, uint64_t ns, const std::string& containerId) {
  if (byNamespace_.size() >= kMaxNamespacesPinned) forgetNamespaces();
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_ino != ns ||
      !byNamespace_.try_emplace(ns, PinnedNamespace{containerId, fd}).second) {
    close(fd);
  }
}

void ProcessOwners::forgetNamespaces() {
  for (auto& [ns, pinned] : byNamespace_) close(pinned.fd);
  byNamespace_.clear();
}

}  // namespace driftguard
