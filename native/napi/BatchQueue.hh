// Hands records from native threads to JS in batches, for both native objects (the exec
// guard's verdicts, the eBPF sensor's findings). push() never blocks and never calls into
// JS: it appends to a bounded buffer and, when the buffer was empty, schedules one
// ThreadSafeFunction call; that call (on the JS thread) takes the whole buffer. A JS
// thread that is busy for seconds only makes the batch bigger; past the limit records are
// dropped and counted, never waited for.
#pragma once

#include <napi.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "util/RecordSink.hh"

namespace driftguard {

template <typename Record>
class BatchQueue final : public RecordSink<Record> {
 public:
  using ToJs = Napi::Object (*)(Napi::Env env, const Record& record);

  // [JS thread] name: the ThreadSafeFunction's resource name (async hooks, diagnostics).
  BatchQueue(Napi::Env env, Napi::Function onBatch, size_t limit, const char* name, ToJs toJs)
      : limit_(limit), toJs_(toJs) {
    callback_ = Napi::Persistent(onBatch);
    tsfn_ = Tsfn::New(env, onBatch, name, 0, 1, this);
  }

  // [any native thread]
  void push(std::vector<Record>&& batch) override { append(batch.data(), batch.size()); }
  // [any native thread] Without the one-element vector of the base class: verdicts come
  // one at a time from the fanotify and hash threads.
  void push(Record&& record) override { append(&record, 1); }

  // [JS thread] Delivers what is buffered now (the scheduled call, close, and tests).
  void flush(Napi::Env env) {
    std::vector<Record> batch;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(buffer_);
      scheduled_ = false;
    }
    if (batch.empty()) return;
    Napi::Array array = Napi::Array::New(env, batch.size());
    for (size_t i = 0; i < batch.size(); i++) array.Set(static_cast<uint32_t>(i), toJs_(env, batch[i]));
    delivered_ += batch.size();
    callback_.Call({array});
  }

  // [JS thread] Delivers what is buffered synchronously, then releases the TSFN.
  void close(Napi::Env env) {
    if (closed_) return;
    flush(env);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    tsfn_.Release();
  }

  uint64_t dropped() const { return dropped_.load(); }
  uint64_t delivered() const { return delivered_.load(); }

 private:
  // [any native thread] Moves the records in, drops what does not fit, schedules one call.
  void append(Record* records, size_t count) {
    bool schedule = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return;
      for (size_t i = 0; i < count; i++) {
        if (buffer_.size() >= limit_) {
          dropped_ += count - i;
          break;
        }
        buffer_.push_back(std::move(records[i]));
      }
      schedule = !scheduled_ && !buffer_.empty();
      scheduled_ = scheduled_ || schedule;
    }
    if (schedule) tsfn_.NonBlockingCall();
  }

  // [JS thread] The scheduled call.
  static void callJs(Napi::Env env, Napi::Function, BatchQueue* queue, void*) {
    if (env == nullptr) return;  // the TSFN is being torn down
    queue->flush(env);
  }

  using Tsfn = Napi::TypedThreadSafeFunction<BatchQueue, void, callJs>;
  Tsfn tsfn_;
  Napi::FunctionReference callback_;
  std::mutex mutex_;
  std::vector<Record> buffer_;
  bool scheduled_ = false, closed_ = false;
  const size_t limit_;
  const ToJs toJs_;
  std::atomic<uint64_t> dropped_{0}, delivered_{0};
};

}  // namespace driftguard
