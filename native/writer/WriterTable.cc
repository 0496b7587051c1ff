#include "writer/WriterTable.hh"

namespace driftguard {

bool WriterTable::touch(uint64_t dev, uint64_t ino, int32_t pid, int64_t timeMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find({dev, ino});
  if (it == index_.end() || it->second->second.pid != pid) return false;
  it->second->second.timeMs = timeMs;
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

void WriterTable::put(uint64_t dev, uint64_t ino, FileWriter writer) {
  std::lock_guard<std::mutex> lock(mutex_);
  Key key{dev, ino};
  auto it = index_.find(key);
  if (it != index_.end()) {
    it->second->second = std::move(writer);
    order_.splice(order_.begin(), order_, it->second);
    return;
  }
  if (capacity_ == 0) return;
  if (index_.size() >= capacity_) {
    index_.erase(order_.back().first);
    order_.pop_back();
    evicted_++;
  }
  order_.emplace_front(key, std::move(writer));
  index_.emplace(key, order_.begin());
}

bool WriterTable::find(uint64_t dev, uint64_t ino, FileWriter* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = index_.find({dev, ino});
  if (it == index_.end()) return false;
  *out = it->second->second;
  return true;
}

size_t WriterTable::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_.size();
}

uint64_t WriterTable::evicted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return evicted_;
}

}  // namespace driftguard
