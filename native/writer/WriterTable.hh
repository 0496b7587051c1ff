// Who last wrote each recently written file: (dev, ino) → writer, least recently written
// evicted first, so memory stays bounded whatever a container writes. [any thread: every
// method takes the table's mutex]
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace driftguard {

struct FileWriter {
  int32_t pid = 0;
  int64_t uid = -1;
  std::string exe;      // "" when the writer had exited before it was read
  std::string cmdline;  // arguments joined by spaces, at most kWriterCmdline bytes
  int64_t timeMs = 0;   // the latest write (or close after writing) seen
};

constexpr size_t kWriterCmdline = 512;

class WriterTable {
 public:
  explicit WriterTable(size_t capacity) : capacity_(capacity) {}

  // True when (dev, ino) already has this writer: then only its time moved (no /proc read needed).
  bool touch(uint64_t dev, uint64_t ino, int32_t pid, int64_t timeMs);
  void put(uint64_t dev, uint64_t ino, FileWriter writer);
  bool find(uint64_t dev, uint64_t ino, FileWriter* out) const;
  size_t size() const;
  uint64_t evicted() const;

 private:
  struct Key {
    uint64_t dev, ino;
    bool operator==(const Key& o) const { return dev == o.dev && ino == o.ino; }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return std::hash<uint64_t>()(k.ino * 1000003u ^ k.dev); }
  };
  using Order = std::list<std::pair<Key, FileWriter>>;

  size_t capacity_;
  mutable std::mutex mutex_;
  Order order_;  // most recently written first
  std::unordered_map<Key, Order::iterator, KeyHash> index_;
  uint64_t evicted_ = 0;
};

}  // namespace driftguard
