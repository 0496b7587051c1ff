#include "decide/HashCache.hh"

namespace driftguard {

FileIdentity identityOf(const ExecFacts& f) {
  return {f.dev, f.ino, f.size, f.mtimeNs, f.ctimeNs};
}

std::optional<Sha256> HashCache::lookup(const FileIdentity& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) {
    misses_++;
    return std::nullopt;
  }
  hits_++;
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.digest;
}

void HashCache::insert(const FileIdentity& key, const Sha256& digest) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = slots_.find(key);
  if (it != slots_.end()) {
    it->second.digest = digest;
    order_.splice(order_.begin(), order_, it->second.position);
    return;
  }
  order_.push_front(key);
  slots_.emplace(key, Slot{digest, order_.begin()});
  if (slots_.size() > capacity_) {
    slots_.erase(order_.back());
    order_.pop_back();
  }
}

uint64_t HashCache::hits() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return hits_;
}

uint64_t HashCache::misses() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return misses_;
}

}  // namespace driftguard
