#include "decide/Tables.hh"

namespace driftguard {

namespace {
// FNV-1a: stable and cheap; collisions only blur "made_executable" into "new_file".
uint64_t pathKey(std::string_view path) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : path) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool startsWithDir(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path[root.size()] == '/' && path.compare(0, root.size(), root) == 0;
}

// Snapshot dirs sit a few levels under their root (<root>/<id>/fs); kubelet volume dirs
// a few more (pods/<uid>/volumes/<plugin>/<name>, volume-subpaths/<vol>/<ctr>/<n>).
constexpr int kMaxDepthUnderRoot = 8;
}  // namespace

void ImageTable::addFile(std::string path, const ImageFile& file) {
  if (file.hashed) byDigest_.emplace(file.sha, path);
  files_.insert_or_assign(std::move(path), file);
}

void ImageTable::addOtherPath(std::string_view path) {
  otherPaths_.insert(pathKey(path));
}

const ImageFile* ImageTable::find(std::string_view path) const {
  auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

bool ImageTable::hasOtherPath(std::string_view path) const {
  return otherPaths_.count(pathKey(path)) != 0;
}

const std::string* ImageTable::pathWithDigest(const Sha256& digest) const {
  auto it = byDigest_.find(digest);
  return it == byDigest_.end() ? nullptr : &it->second;
}

namespace {
bool mountedBy(const Place& volume, const ContainerTable* owner) {
  for (const VolumeUse& use : volume.volumes) {
    if (owner != nullptr && use.container.get() == owner) return true;
  }
  return false;
}
}  // namespace

Resolution Tables::resolve(const ExecFacts& facts, const ContainerTable* owner) const {
  auto fs = filesystemVolumes.find(facts.dev);
  if (fs != filesystemVolumes.end() && mountedBy(fs->second, owner)) return {Where::Volume, &fs->second, ""};
  if (facts.realPath.empty()) return {Where::NoPath, nullptr, ""};
  for (const std::string& root : snapshotRoots) {
    if (startsWithDir(facts.realPath, root)) return resolveUnderRoot(facts.realPath, root.size(), false);
  }
  for (const std::string& root : volumeRoots) {
    if (startsWithDir(facts.realPath, root)) return resolveUnderRoot(facts.realPath, root.size(), true);
  }
  if (anyBindVolume) return resolveBindVolume(facts.realPath);
  return {Where::Host, nullptr, ""};
}

// Tries each ancestor below the root, shortest first: snapshot and volume dirs never nest.
Resolution Tables::resolveUnderRoot(const std::string& path, size_t rootLength, bool volumeRoot) const {
  size_t slash = rootLength;
  for (int depth = 0; depth < kMaxDepthUnderRoot; depth++) {
    slash = path.find('/', slash + 1);
    if (slash == std::string::npos) break;
    auto it = dirs.find(std::string_view(path.data(), slash));
    if (it == dirs.end()) continue;
    const Place& place = it->second;
    Where where = place.kind == PlaceKind::Lower   ? Where::ImageLayer
                  : place.kind == PlaceKind::Upper ? Where::WritableLayer
                                                   : Where::Volume;
    if (volumeRoot && where != Where::Volume) break;
    return {where, &place, path.substr(slash)};
  }
  return {Where::Unknown, nullptr, ""};
}

// Bind sources can be anywhere on the host: check every ancestor, longest first.
Resolution Tables::resolveBindVolume(const std::string& path) const {
  // A source of "/" (a node's root mounted into a pod) is stored under the key "".
  for (size_t slash = path.rfind('/'); slash != std::string::npos; slash = path.rfind('/', slash - 1)) {
    auto it = dirs.find(std::string_view(path.data(), slash));
    if (it != dirs.end() && it->second.kind == PlaceKind::Volume)
      return {Where::Volume, &it->second, path.substr(slash)};
    if (slash == 0) break;
  }
  return {Where::Host, nullptr, ""};
}

const ContainerTable* Tables::containerByCgroupLeaf(std::string_view cgroup) const {
  // Any component may be the leaf: processes inside a container can create sub-cgroups.
  size_t start = 0;
  while (start < cgroup.size()) {
    size_t end = cgroup.find('/', start);
    if (end == std::string_view::npos) end = cgroup.size();
    if (end > start) {
      auto it = byCgroupLeaf.find(cgroup.substr(start, end - start));
      if (it != byCgroupLeaf.end()) return it->second.get();
    }
    start = end + 1;
  }
  return nullptr;
}

bool Tables::looksLikeContainerCgroup(std::string_view cgroup) const {
  for (const std::string& marker : containerCgroupMarkers) {
    if (cgroup.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace driftguard
