// Immutable decision tables: which host directories are image layers, writable layers
// and volumes of which container, and each image's baseline. Built on the JS thread by
// TablesBuilder, swapped in whole, then only read (by the fanotify thread and the hash
// workers), so lookups take no lock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "decide/Types.hh"

namespace driftguard {

struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct Sha256Hash {
  size_t operator()(const Sha256& d) const {
    size_t h;
    static_assert(sizeof h <= sizeof d);
    __builtin_memcpy(&h, d.data(), sizeof h);
    return h;
  }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, TransparentStringHash, std::equal_to<>>;

// One file of an image as the baseline knows it.
struct ImageFile {
  Sha256 sha{};
  uint64_t size = 0;        // bytes: a copy of another size is not this file
  bool executable = false;  // any exec bit in the image
  bool hashed = false;      // sha is valid
};

// The merged baseline of one image (all layers applied in order). Shared by every
// container of that image. Only hashed files (executables and files that look like
// programs) keep their path and hash; other regular files keep a 64-bit path hash, just
// enough to tell "made executable" from "new file".
class ImageTable {
 public:
  void addFile(std::string path, const ImageFile& file);
  void addOtherPath(std::string_view path);

  const ImageFile* find(std::string_view path) const;
  bool hasOtherPath(std::string_view path) const;
  // An image path whose content is this digest ("copy of"), nullptr if none.
  const std::string* pathWithDigest(const Sha256& digest) const;
  size_t fileCount() const { return files_.size(); }

 private:
  StringMap<ImageFile> files_;
  std::unordered_set<uint64_t> otherPaths_;
  std::unordered_map<Sha256, std::string, Sha256Hash> byDigest_;
};

// Exceptions and the mode of the policy in force for one container.
// Globs are fnmatch(3) patterns with FNM_PATHNAME ('*' stays within one directory).
struct ContainerPolicy {
  std::string name;
  Mode mode = Mode::Audit;
  std::vector<std::string> allowPathGlobs;  // drift at these paths inside the container is allowed
  std::unordered_set<Sha256, Sha256Hash> allowDigests;
  std::vector<std::string> allowParentGlobs;  // drift run by these image programs (the caller of execve)
  std::vector<std::string> allowVolumeGlobs;  // volume execs at these paths inside the container
  std::vector<std::string> denyPathGlobs;     // blocked even when in the image
  uint64_t captureMaxBytes = 0;               // drift files up to this size are captured; 0: none
  bool needsProcess() const { return !allowParentGlobs.empty(); }
};

struct ContainerTable {
  std::string id;
  std::string upperDir;
  std::vector<std::string> lowerDirs;
  std::string cgroupLeaf;  // last component of the container's cgroup path
  // nullptr while the baseline is computed; execs from the writable layer are held then.
  std::shared_ptr<const ImageTable> image;
  // True when there is no baseline (it failed, or the image is over its budget): nothing on
  // the writable layer can be proven to be the image, every exec from it is unverified.
  bool baselineFailed = false;
  // st_dev of the overlay containerd mounted as the container's root (0: unknown). A
  // program is the image's only if the process runs it from this filesystem.
  uint64_t rootDev = 0;
  ContainerPolicy policy;
};

// A volume as seen by one container: host source (for bind volumes) and where it is
// mounted in the container.
struct VolumeUse {
  std::shared_ptr<const ContainerTable> container;
  std::string source;       // host directory ("" for a whole filesystem, e.g. tmpfs)
  std::string destination;  // mount point inside the container
};

enum class PlaceKind : uint8_t { Lower, Upper, Volume };

struct Place {
  PlaceKind kind = PlaceKind::Lower;
  std::shared_ptr<const ContainerTable> container;  // Upper only
  std::vector<VolumeUse> volumes;                   // Volume only: one per container using it
};

enum class Where : uint8_t {
  Host,           // not in any snapshot, volume or volume root: a host file
  ImageLayer,     // inside a known image layer directory
  WritableLayer,  // inside a known container's writable layer
  Volume,         // on a known volume
  Unknown,        // under a snapshot or volume root, but not known (yet)
  NoPath,         // on a container filesystem but without a resolvable path (deleted)
};

struct Resolution {
  Where where = Where::Host;
  const Place* place = nullptr;
  std::string relPath;  // path inside the layer, or inside the volume, starting with '/'
};

class Tables {
 public:
  // owner: the container the exec'ing process belongs to (nullptr: none known). A
  // whole-filesystem volume is known by st_dev only, and device numbers are reused after
  // an unmount: it counts only for a container that mounts it.
  Resolution resolve(const ExecFacts& facts, const ContainerTable* owner) const;
  const ContainerTable* containerByCgroupLeaf(std::string_view leaf) const;
  // True if the cgroup path looks like a container's (one of the configured markers).
  bool looksLikeContainerCgroup(std::string_view cgroup) const;

  uint64_t generation = 0;
  uint64_t hostMountNamespace = 0;
  // st_dev of the agent's canary tmpfs (src/agent/ExecCanary.ts): every exec from it is
  // refused, without a finding; 0: none.
  uint64_t canaryDev = 0;
  std::string hostRootPrefix;              // makes a host path openable: "" or "/proc/1/root"
  std::vector<std::string> snapshotRoots;  // no trailing '/'
  std::vector<std::string> volumeRoots;    // e.g. /var/lib/kubelet/pods
  std::vector<std::string> containerCgroupMarkers;
  StringMap<Place> dirs;                                  // layer dirs and bind sources
  std::unordered_map<uint64_t, Place> filesystemVolumes;  // st_dev → whole-fs volume
  StringMap<std::shared_ptr<const ContainerTable>> containers;
  StringMap<std::shared_ptr<const ContainerTable>> byCgroupLeaf;
  bool anyBindVolume = false;
  // What an exec ignore mark on an image layer file depends on (ExecGuardIgnore.cc): every
  // deny glob of every loaded policy and attached container (sorted, unique), and whether
  // some bind volume exposes snapshot directories to a container, which could then write
  // image layer files.
  std::vector<std::string> denyPathGlobsAnyPolicy;
  bool layersWritableByVolume = false;

 private:
  Resolution resolveUnderRoot(const std::string& path, size_t rootLength, bool volumeRoot) const;
  Resolution resolveBindVolume(const std::string& path) const;
};

}  // namespace driftguard
