// Hands the sensor's findings to JS in batches, like guard/VerdictQueue does verdicts:
// push() never blocks and never calls into JS; it appends to a bounded buffer and, when
// the buffer was empty, schedules one ThreadSafeFunction call that takes everything.
// Past the limit findings are dropped and counted.
#pragma once

#include <napi.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "bpf/SensorTypes.hh"

namespace driftguard {

class FindingQueue : public SensorSink {
 public:
  FindingQueue(Napi::Env env, Napi::Function onBatch, size_t limit);  // [JS thread]
  void push(std::vector<SensorFinding>&& batch) override;             // [reader thread]
  void flush(Napi::Env env);                                          // [JS thread]
  void close(Napi::Env env);                                          // [JS thread] flushes, then releases the TSFN
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t delivered() const { return delivered_.load(); }

 private:
  static void callJs(Napi::Env env, Napi::Function callback, FindingQueue* queue, void*);
  static Napi::Object toJs(Napi::Env env, const SensorFinding& f);

  using Tsfn = Napi::TypedThreadSafeFunction<FindingQueue, void, callJs>;
  Tsfn tsfn_;
  Napi::FunctionReference callback_;
  std::mutex mutex_;
  std::vector<SensorFinding> buffer_;
  bool scheduled_ = false, closed_ = false;
  const size_t limit_;
  std::atomic<uint64_t> dropped_{0}, delivered_{0};
};

}  // namespace driftguard
