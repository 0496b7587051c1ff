// Holds the read lease of an exec allowed because its content was proven, until the exec
// has committed. Between the answer and the exec's own deny_write_access there is a window
// in which a writer could open the file; with the lease held, that writer blocks in
// open(2) with its write access taken, and the exec fails with ETXTBSY instead of running
// changed content. An exec has committed when /proc/<pid>/exe names another file than
// before the answer (or the process is gone); a process running its own file again never
// shows a change, so every hold also ends after maxHold (a running program's file cannot be
// opened for write anyway). Polled with a backoff from 200 us on its own thread: never the
// fanotify thread, and the exec never waits for it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace driftguard {

// What /proc/<pid>/exe refers to; ok false when the process is gone.
struct ExeIdentity {
  bool ok = false;
  uint64_t dev = 0, ino = 0;
  bool operator==(const ExeIdentity&) const = default;
};
ExeIdentity exeIdentityOf(int32_t pid);  // [any thread]

class ExecCommitWatch {
 public:
  ExecCommitWatch(std::chrono::microseconds maxHold, size_t capacity);
  ~ExecCommitWatch();
  void start();  // [JS thread]
  void stop();   // [JS thread] releases every lease still held
  // [fanotify thread or hash worker] Takes ownership of leaseFd. `before` was read before
  // the exec was answered.
  void hold(int leaseFd, int32_t pid, ExeIdentity before);

  uint64_t held() const { return held_; }
  uint64_t timedOut() const { return timedOut_; }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Hold {
    int fd;
    int32_t pid;
    ExeIdentity before;
    std::chrono::steady_clock::time_point next, until;
    std::chrono::microseconds interval;
    bool operator>(const Hold& other) const { return next > other.next; }
  };
  void run();
  static void release(const Hold& hold);

  const std::chrono::microseconds maxHold_;
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::priority_queue<Hold, std::vector<Hold>, std::greater<>> holds_;  // earliest check first
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<uint64_t> held_{0}, timedOut_{0}, evicted_{0};
};

}  // namespace driftguard
