// Every permission event read from the kernel and not yet answered. The one place that
// writes answers to the fanotify fd and closes event fds, so that an event is answered
// exactly once and an fd is never closed while a thread still reads it.
//
// Ownership: an entry is "in use" while the fanotify thread or a hash worker works on it.
// The watchdog may answer an in-use entry (the exec must not wait) but leaves closing its
// fd to the owner, who learns from answer()/release() that it was too late.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace driftguard {

using Clock = std::chrono::steady_clock;

struct HeldEvent {
  uint64_t id;
  int eventFd;
  int32_t pid;
};

struct ExpiredEvent {
  int32_t pid;
  std::string path;  // as the exec'ing process saw it
};

class PendingDecisions {
 public:
  PendingDecisions(int fanotifyFd, std::chrono::milliseconds deadline, size_t holdLimit);

  // [fanotify thread] Registers an event just read; the caller owns it (in use).
  uint64_t add(int eventFd, int32_t pid);
  // [owner] Answers and forgets the event. False if the watchdog answered it first.
  bool answer(uint64_t id, bool allow);
  // [fanotify thread] Parks an event until the tables change. False when the hold limit
  // is reached (the caller must answer it now).
  bool hold(uint64_t id);
  // [fanotify thread] Takes every held event back into use, oldest first.
  std::vector<HeldEvent> takeHeld();
  // [watchdog] Answers every event past its deadline; reports each one.
  void expire(Clock::time_point now, bool allow, const std::function<void(const ExpiredEvent&)>& report);
  // [JS thread, shutdown] Answers everything still pending.
  void answerAll(bool allow);

  size_t size() const;
  size_t heldCount() const;
  Clock::time_point oldestDeadline() const;

 private:
  struct Entry {
    int eventFd;
    int32_t pid;
    Clock::time_point deadline;
    bool inUse = true;
    bool held = false;
    bool answered = false;
  };
  void respondLocked(Entry& entry, bool allow);  // caller holds mutex_

  mutable std::mutex mutex_;
  const int fanotifyFd_;
  const std::chrono::milliseconds deadline_;
  const size_t holdLimit_;
  std::map<uint64_t, Entry> entries_;  // ids only grow, so begin() has the oldest deadline
  uint64_t nextId_ = 1;
  size_t held_ = 0;
};

}  // namespace driftguard
