// Hands verdict records from native threads to JS in batches. push() never blocks and
// never calls into JS: it appends to a bounded buffer and, when the buffer was empty,
// schedules one ThreadSafeFunction call; that call (on the JS thread) takes the whole
// buffer. A JS thread that is busy for seconds only makes the batch bigger; past the
// limit records are dropped and counted, never waited for.
#pragma once

#include <napi.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "decide/Types.hh"

namespace driftguard {

class VerdictSink {
 public:
  virtual ~VerdictSink() = default;
  virtual void push(VerdictRecord&& record) = 0;  // [any native thread]
};

class VerdictQueue : public VerdictSink {
 public:
  // [JS thread]
  VerdictQueue(Napi::Env env, Napi::Function onBatch, size_t limit);
  void push(VerdictRecord&& record) override;
  // [JS thread] Delivers what is buffered synchronously, then releases the TSFN.
  void close(Napi::Env env);
  // [JS thread] Delivers what is buffered now (used by close and by tests).
  void flush(Napi::Env env);
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t delivered() const { return delivered_.load(); }

 private:
  static void callJs(Napi::Env env, Napi::Function callback, VerdictQueue* queue, void*);
  std::vector<VerdictRecord> take();
  static Napi::Object toJs(Napi::Env env, const VerdictRecord& record);

  using Tsfn = Napi::TypedThreadSafeFunction<VerdictQueue, void, callJs>;
  Tsfn tsfn_;
  Napi::FunctionReference callback_;
  std::mutex mutex_;
  std::vector<VerdictRecord> buffer_;
  bool scheduled_ = false;
  bool closed_ = false;
  const size_t limit_;
  std::atomic<uint64_t> dropped_{0}, delivered_{0};
};

}  // namespace driftguard
