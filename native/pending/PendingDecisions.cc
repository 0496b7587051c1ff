#include "pending/PendingDecisions.hh"

#include <sys/fanotify.h>
#include <unistd.h>

#include "util/FileOps.hh"

namespace driftguard {

PendingDecisions::PendingDecisions(int fanotifyFd, std::chrono::milliseconds deadline,
                                   std::chrono::milliseconds verdictDeadline, size_t holdLimit)
    : fanotifyFd_(fanotifyFd), deadline_(deadline), verdictDeadline_(verdictDeadline), holdLimit_(holdLimit) {}

void PendingDecisions::respondLocked(Entry& entry, bool allow) {
  if (entry.answered) return;
  struct fanotify_response response = {entry.eventFd, static_cast<__u32>(allow ? FAN_ALLOW : FAN_DENY)};
  // A failed write means the kernel no longer waits for this event (the group is being
  // torn down); there is nobody left to tell.
  ssize_t ignored = write(fanotifyFd_, &response, sizeof response);
  (void)ignored;
  entry.answered = true;
}

uint64_t PendingDecisions::add(int eventFd, int32_t pid) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t id = nextId_++;
  entries_.emplace(id, Entry{eventFd, pid, Clock::now()});
  return id;
}

bool PendingDecisions::answer(uint64_t id, bool allow) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  bool first = !it->second.answered;
  respondLocked(it->second, allow);
  close(it->second.eventFd);
  entries_.erase(it);
  return first;
}

bool PendingDecisions::forgetIfAnswered(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return true;
  if (!it->second.answered) return false;
  close(it->second.eventFd);
  entries_.erase(it);
  return true;
}

void PendingDecisions::setFallback(uint64_t id, ContainerFallback fallback) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it != entries_.end()) it->second.fallback = std::move(fallback);
}

bool PendingDecisions::hold(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return true;
  Entry& entry = it->second;
  if (entry.answered) {  // the watchdog got there first
    close(entry.eventFd);
    entries_.erase(it);
    return true;
  }
  if (held_ >= holdLimit_) return false;
  entry.held = true;
  entry.inUse = false;
  held_++;
  return true;
}

std::vector<HeldEvent> PendingDecisions::takeHeld() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<HeldEvent> events;
  for (auto& [id, entry] : entries_) {
    if (!entry.held) continue;
    entry.held = false;
    entry.inUse = true;
    held_--;
    events.push_back({id, entry.eventFd, entry.pid});
  }
  return events;
}

std::vector<ExpiredEvent> PendingDecisions::expire(Clock::time_point now, bool allow) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<ExpiredEvent> expired;
  // Deadlines differ (verdict deadline or deadline), so every entry is looked at; there
  // are at most a few thousand.
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& entry = it->second;
    bool byPolicy = entry.fallback && now >= entry.readAt + verdictDeadline_;
    if (entry.answered || !(byPolicy || now >= entry.readAt + deadline_)) {
      ++it;
      continue;
    }
    respondLocked(entry, byPolicy ? entry.fallback->allow : allow);
    expired.push_back({entry.pid, pathOfFd(entry.eventFd), byPolicy ? entry.fallback : std::nullopt});
    if (entry.held) held_--;
    entry.held = false;
    if (entry.inUse) {
      ++it;  // the owner closes it when it finishes
    } else {
      close(entry.eventFd);
      it = entries_.erase(it);
    }
  }
  return expired;
}

void PendingDecisions::answerAll(bool allow) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, entry] : entries_) {
    respondLocked(entry, allow);
    close(entry.eventFd);
  }
  entries_.clear();
  held_ = 0;
}

size_t PendingDecisions::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

size_t PendingDecisions::heldCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_;
}

}  // namespace driftguard
