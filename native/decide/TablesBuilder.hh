// Keeps the agent's view of images and containers and builds a fresh immutable Tables
// from it on every change, so that a change is seen by the fanotify thread all at once or
// not at all. [JS thread only]
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "decide/Tables.hh"

namespace driftguard {

struct VolumeSpec {
  std::string source;       // host directory of a bind volume; "" for a whole filesystem
  uint64_t dev = 0;         // st_dev of a whole-filesystem volume (tmpfs)
  std::string destination;  // mount point inside the container
};

struct ContainerSpec {
  std::string id;
  std::string upperDir;
  std::vector<std::string> lowerDirs;
  std::string cgroupLeaf;
  std::string imageKey;  // "" while the baseline is computed
  bool baselineFailed = false;
  uint64_t rootDev = 0;
  ContainerPolicy policy;
  std::vector<VolumeSpec> volumes;
};

struct TablesChange {
  std::vector<std::pair<std::string, std::shared_ptr<const ImageTable>>> putImages;
  std::vector<std::string> dropImages;
  std::vector<ContainerSpec> putContainers;
  std::vector<std::string> removeContainers;
  std::optional<std::vector<std::string>> snapshotRoots, volumeRoots, containerCgroupMarkers;
  std::optional<uint64_t> hostMountNamespace;
  std::optional<uint64_t> canaryDev;
  std::optional<std::string> hostRootPrefix;
  // Deny globs of every loaded policy, also those of no attached container yet.
  std::optional<std::vector<std::string>> loadedDenyPaths;
};

class TablesBuilder {
 public:
  // Throws std::invalid_argument (and changes nothing) if a container names an image
  // that is neither known nor put in the same change.
  std::shared_ptr<const Tables> apply(const TablesChange& change);
  size_t imageCount() const { return images_.size(); }
  size_t containerCount() const { return containers_.size(); }

 private:
  std::shared_ptr<const Tables> build() const;
  void fillIgnoreMarkFacts(Tables& tables) const;

  StringMap<std::shared_ptr<const ImageTable>> images_;
  StringMap<ContainerSpec> containers_;
  std::vector<std::string> snapshotRoots_, volumeRoots_, cgroupMarkers_, loadedDenyPaths_;
  uint64_t hostMountNamespace_ = 0;
  uint64_t canaryDev_ = 0;
  std::string hostRootPrefix_;
  uint64_t generation_ = 0;
};

}  // namespace driftguard
