// Who runs an exec: the host, an attached container, a container not attached yet, or
// another process. Asked for most execs, so it must be cheap: by cgroup id where the
// kernel tells it through a pidfd (one ioctl; ids are never reused, so owners are cached
// by id), else by mount namespace (a /proc stat, cached per tables generation). Namespace
// inode numbers are reused as soon as a namespace dies, e.g. when a container exits before
// its detach reaches the tables: a cached namespace is therefore kept alive by an open fd
// until the generation changes, so its number cannot name another namespace meanwhile.
// [fanotify thread only]
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "decide/Tables.hh"

namespace driftguard {

enum class OwnerKind { Host, Container, Unattached, Other };

struct Owner {
  OwnerKind kind;
  const ContainerTable* container;
};

class ProcessOwners {
 public:
  // Probes which way the kernel supports; forceNamespace picks the fallback (tests, and
  // operators who want the older behaviour).
  explicit ProcessOwners(bool forceNamespace);
  ~ProcessOwners();
  ProcessOwners(const ProcessOwners&) = delete;
  ProcessOwners& operator=(const ProcessOwners&) = delete;
  Owner ownerOf(const Tables& tables, int32_t pid);
  // New tables (a container detached, perhaps): cached namespaces of older ones are
  // released at once, not at the next exec, so none keeps an exited container's mounts.
  void tablesChanged(uint64_t generation);
  bool byCgroupId() const { return byCgroupId_; }

 private:
  Owner fromCgroupId(const Tables& tables, int32_t pid);
  Owner fromMountNamespace(const Tables& tables, int32_t pid);
  void cacheNamespace(int32_t pid, uint64_t ns, const std::string& containerId);
  void forgetNamespaces();

  struct CachedOwner {
    uint64_t generation;      // container entries hold for one tables generation
    std::string containerId;  // "" : not a container's cgroup, for good
  };
  static constexpr size_t kMaxCached = 65536;
  static constexpr size_t kMaxNamespacesPinned = 4096;  // one fd each
  bool byCgroupId_ = false;
  std::unordered_map<uint64_t, CachedOwner> byCgroup_;  // cgroup id → owner
  struct PinnedNamespace {
    std::string containerId;
    int fd;  // keeps the namespace, and so its inode number, alive
  };
  uint64_t namespaceGeneration_ = 0;                           // of every entry in byNamespace_
  std::unordered_map<uint64_t, PinnedNamespace> byNamespace_;  // mount namespace inode → container
};

}  // namespace driftguard
