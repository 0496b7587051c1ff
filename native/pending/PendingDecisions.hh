// Every permission event read from the kernel and not yet answered. The one place that
// writes answers to the fanotify fd and closes event fds, so that an event is answered
// exactly once and an fd is never closed while a thread still reads it.
//
// Ownership: an entry is "in use" while the fanotify thread or a hash worker works on it.
// The watchdog may answer an in-use entry (the exec must not wait) but leaves closing its
// fd to the owner, who learns from answer() that it was too late.
//
// Deadlines count from the moment the event was read. An event whose container is known
// and whose verdict waits for something (a hash, the baseline) carries that container's
// answer (ContainerFallback), given at the earlier verdict deadline; every other event gets
// the global fail mode at the deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "util/ProcInfo.hh"

namespace driftguard {

using Clock = std::chrono::steady_clock;

struct HeldEvent {
  uint64_t id;
  int eventFd;
  int32_t pid;
};

// What the container's policy answers when a verdict cannot be proven in time.
struct ContainerFallback {
  bool allow = false;  // audit: run and report; enforce: refuse
  std::string containerId, policy;
  std::string path;      // inside the container
  std::string hostPath;  // real path on the node
  ProcessFacts process;  // read when the fallback was set: by its answer the process may be gone
};

struct ExpiredEvent {
  int32_t pid;
  std::string path;                           // as the exec'ing process saw it
  std::optional<ContainerFallback> fallback;  // set: answered by the container's policy
};

class PendingDecisions {
 public:
  PendingDecisions(int fanotifyFd, std::chrono::milliseconds deadline, std::chrono::milliseconds verdictDeadline,
                   size_t holdLimit);

  // [fanotify thread] Registers an event just read; the caller owns it (in use).
  uint64_t add(int eventFd, int32_t pid);
  // [owner] Answers and forgets the event. False if the watchdog answered it first.
  bool answer(uint64_t id, bool allow);
  // [owner] Forgets an event the watchdog already answered (true); false if still pending.
  bool forgetIfAnswered(uint64_t id);
  // [owner] From now on the watchdog answers this event with the container's policy at the
  // verdict deadline (counted from when it was read), not with the fail mode.
  void setFallback(uint64_t id, ContainerFallback fallback);
  // [fanotify thread] Parks an event until the tables change. False when the hold limit
  // is reached (the caller must answer it now).
  bool hold(uint64_t id);
  // [fanotify thread] Takes every held event back into use, oldest first.
  std::vector<HeldEvent> takeHeld();
  // [watchdog] Answers every event past its deadline (fallback: verdict deadline, its
  // answer; else: deadline, allow) and returns them, for reporting outside the lock.
  std::vector<ExpiredEvent> expire(Clock::time_point now, bool allow);
  // [JS thread, shutdown] Answers everything still pending.
  void answerAll(bool allow);

  size_t size() const;
  size_t heldCount() const;

 private:
  struct Entry {
    int eventFd;
    int32_t pid;
    Clock::time_point readAt;
    bool inUse = true;
    bool held = false;
    bool answered = false;
    std::optional<ContainerFallback> fallback;
  };
  void respondLocked(Entry& entry, bool allow);  // caller holds mutex_

  mutable std::mutex mutex_;
  const int fanotifyFd_;
  const std::chrono::milliseconds deadline_, verdictDeadline_;
  const size_t holdLimit_;
  std::map<uint64_t, Entry> entries_;  // ids only grow: oldest first
  uint64_t nextId_ = 1;
  size_t held_ = 0;
};

}  // namespace driftguard
