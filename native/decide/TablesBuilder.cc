#include "decide/TablesBuilder.hh"

#include <set>
#include <stdexcept>

namespace driftguard {

namespace {
std::string withoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path == "/" ? "" : path;
}

// One of the two directories is the other or inside it ("" is the root).
bool nestedOrEqual(const std::string& a, const std::string& b) {
  const std::string& shorter = a.size() <= b.size() ? a : b;
  const std::string& longer = a.size() <= b.size() ? b : a;
  return longer.compare(0, shorter.size(), shorter) == 0 &&
         (longer.size() == shorter.size() || longer[shorter.size()] == '/');
}
}  // namespace

std::shared_ptr<const Tables> TablesBuilder::apply(const TablesChange& change) {
  StringMap<std::shared_ptr<const ImageTable>> images = images_;
  for (const auto& [key, table] : change.putImages) images[key] = table;
  for (const std::string& key : change.dropImages) images.erase(key);
  for (const ContainerSpec& spec : change.putContainers) {
    if (!spec.imageKey.empty() && images.count(spec.imageKey) == 0) {
      throw std::invalid_argument("container " + spec.id + " names unknown image " + spec.imageKey);
    }
  }
  images_ = std::move(images);
  for (const std::string& id : change.removeContainers) containers_.erase(id);
  for (const ContainerSpec& spec : change.putContainers) containers_[spec.id] = spec;
  if (change.snapshotRoots) snapshotRoots_ = *change.snapshotRoots;
  if (change.volumeRoots) volumeRoots_ = *change.volumeRoots;
  if (change.containerCgroupMarkers) cgroupMarkers_ = *change.containerCgroupMarkers;
  if (change.hostMountNamespace) hostMountNamespace_ = *change.hostMountNamespace;
  if (change.canaryDev) canaryDev_ = *change.canaryDev;
  if (change.hostRootPrefix) hostRootPrefix_ = withoutTrailingSlash(*change.hostRootPrefix);
  if (change.loadedDenyPaths) loadedDenyPaths_ = *change.loadedDenyPaths;
  generation_++;
  return build();
}

std::shared_ptr<const Tables> TablesBuilder::build() const {
  auto tables = std::make_shared<Tables>();
  tables->generation = generation_;
  tables->hostMountNamespace = hostMountNamespace_;
  tables->canaryDev = canaryDev_;
  tables->hostRootPrefix = hostRootPrefix_;
  for (const std::string& root : snapshotRoots_) tables->snapshotRoots.push_back(withoutTrailingSlash(root));
  for (const std::string& root : volumeRoots_) tables->volumeRoots.push_back(withoutTrailingSlash(root));
  tables->containerCgroupMarkers = cgroupMarkers_;
  for (const auto& [id, spec] : containers_) {
    auto container = std::make_shared<ContainerTable>();
    container->id = spec.id;
    container->upperDir = withoutTrailingSlash(spec.upperDir);
    container->lowerDirs = spec.lowerDirs;
    container->cgroupLeaf = spec.cgroupLeaf;
    container->baselineFailed = spec.baselineFailed;
    container->rootDev = spec.rootDev;
    container->policy = spec.policy;
    if (!spec.imageKey.empty()) {
      auto image = images_.find(spec.imageKey);
      if (image != images_.end()) container->image = image->second;
    }
    for (const std::string& lower : spec.lowerDirs) {
      tables->dirs.try_emplace(withoutTrailingSlash(lower), Place{PlaceKind::Lower, nullptr, {}});
    }
    if (!container->upperDir.empty()) {
      tables->dirs.insert_or_assign(container->upperDir, Place{PlaceKind::Upper, container, {}});
    }
    for (const VolumeSpec& volume : spec.volumes) {
      VolumeUse use{container, withoutTrailingSlash(volume.source), volume.destination};
      if (volume.source.empty()) {
        Place& place = tables->filesystemVolumes[volume.dev];
        place.kind = PlaceKind::Volume;
        place.volumes.push_back(std::move(use));
      } else {
        auto [it, added] = tables->dirs.try_emplace(use.source, Place{PlaceKind::Volume, nullptr, {}});
        // A volume source that is also a layer dir would be an odd mount; the layer wins.
        if (it->second.kind != PlaceKind::Volume) continue;
        it->second.volumes.push_back(std::move(use));
        tables->anyBindVolume = true;
      }
    }
    if (!spec.cgroupLeaf.empty()) tables->byCgroupLeaf.insert_or_assign(spec.cgroupLeaf, container);
    tables->containers.insert_or_assign(spec.id, container);
  }
  fillIgnoreMarkFacts(*tables);
  return tables;
}

// Both sorted and de-duplicated, so that a change of what ignore marks depend on is a
// plain comparison (ExecGuard::applyTables).
void TablesBuilder::fillIgnoreMarkFacts(Tables& tables) const {
  std::set<std::string> denied(loadedDenyPaths_.begin(), loadedDenyPaths_.end());
  std::vector<std::string> layerDirs = tables.snapshotRoots;
  for (const auto& [id, spec] : containers_) {
    denied.insert(spec.policy.denyPathGlobs.begin(), spec.policy.denyPathGlobs.end());
    for (const std::string& lower : spec.lowerDirs) layerDirs.push_back(withoutTrailingSlash(lower));
  }
  tables.denyPathGlobsAnyPolicy.assign(denied.begin(), denied.end());
  // From the specs, not tables.dirs: there a layer dir wins over a volume with its path.
  for (const auto& [id, spec] : containers_) {
    for (const VolumeSpec& volume : spec.volumes) {
      if (volume.source.empty()) continue;
      std::string source = withoutTrailingSlash(volume.source);
      for (const std::string& layers : layerDirs) {
        if (nestedOrEqual(source, layers)) tables.layersWritableByVolume = true;
      }
    }
  }
}

}  // namespace driftguard
