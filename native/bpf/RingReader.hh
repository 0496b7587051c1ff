// The thread that drains the sensor's ring buffer. The BPF programs submit without
// waking anyone (BPF_RB_NO_WAKEUP) until wakeupBytes are queued, so this thread wakes on
// its own timer (flushIntervalMs) or on that threshold, converts every queued event into
// a finding (attributing it to a container, reading /proc) and hands the whole batch to
// the sink. Nothing here runs on an exec's path.
#pragma once

#include <atomic>
#include <functional>
#include <thread>
#include <vector>

#include "bpf/SensorTypes.hh"

struct ring_buffer;
struct dg_event;

namespace driftguard {

class RingReader {
 public:
  // Converts one BPF event; runs on the reader thread.
  using Convert = std::function<SensorFinding(const struct dg_event&)>;

  // [JS thread] Throws std::runtime_error naming the failed call.
  RingReader(int ringMapFd, uint32_t flushIntervalMs, Convert convert, SensorSink& sink);
  ~RingReader();  // [JS thread] stops the thread after a last drain

  void start();  // [JS thread]
  void stop();   // [JS thread] idempotent

  uint64_t wakeups() const { return wakeups_.load(); }
  uint64_t polls() const { return polls_.load(); }
  uint64_t events() const { return events_.load(); }

 private:
  static int onEvent(void* self, void* data, size_t size);
  void run();             // [reader thread]
  void consumeAndPush();  // [reader thread]
  void release();         // [JS thread] frees the ring buffer and the fds

  struct ring_buffer* ring_ = nullptr;
  const uint32_t flushIntervalMs_;
  Convert convert_;
  SensorSink& sink_;
  int epollFd_ = -1, stopFd_ = -1;
  std::thread thread_;
  std::vector<SensorFinding> batch_;  // filled by onEvent during one consume
  std::atomic<uint64_t> wakeups_{0}, polls_{0}, events_{0};
  bool started_ = false, stopped_ = false;
};

}  // namespace driftguard
