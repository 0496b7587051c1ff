// Digests of writable-layer and volume files, keyed by what changes when content can
// change: (dev, ino, size, mtime, ctime). Bounded LRU. Any thread (one mutex; lookups
// happen only for files that are not plain image-layer or host files).
#pragma once

#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "decide/Types.hh"

namespace driftguard {

struct FileIdentity {
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtimeNs = 0, ctimeNs = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct FileIdentityHash {
  size_t operator()(const FileIdentity& k) const {
    uint64_t h = k.ino * 0x9E3779B97F4A7C15ull ^ k.dev;
    h ^= static_cast<uint64_t>(k.mtimeNs) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h ^= static_cast<uint64_t>(k.ctimeNs) + (h << 6) + (h >> 2);
    return static_cast<size_t>(h ^ k.size);
  }
};

FileIdentity identityOf(const ExecFacts& facts);

class HashCache {
 public:
  explicit HashCache(size_t capacity) : capacity_(capacity) {}
  std::optional<Sha256> lookup(const FileIdentity& key);
  void insert(const FileIdentity& key, const Sha256& digest);
  uint64_t hits() const;
  uint64_t misses() const;

 private:
  using Order = std::list<FileIdentity>;
  struct Slot {
    Sha256 digest;
    Order::iterator position;
  };
  mutable std::mutex mutex_;
  size_t capacity_;
  Order order_;  // most recently used first
  std::unordered_map<FileIdentity, Slot, FileIdentityHash> slots_;
  uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace driftguard
