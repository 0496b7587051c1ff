#include "guard/VerdictQueue.hh"

namespace driftguard {

VerdictQueue::VerdictQueue(Napi::Env env, Napi::Function onBatch, size_t limit) : limit_(limit) {
  callback_ = Napi::Persistent(onBatch);
  tsfn_ = Tsfn::New(env, onBatch, "driftguard-verdicts", 0, 1, this);
}

void VerdictQueue::push(VerdictRecord&& record) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (buffer_.size() >= limit_) {
      dropped_++;
      return;
    }
    buffer_.push_back(std::move(record));
    schedule = !scheduled_;
    scheduled_ = true;
  }
  if (schedule) tsfn_.NonBlockingCall();
}

std::vector<VerdictRecord> VerdictQueue::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<VerdictRecord> batch;
  batch.swap(buffer_);
  scheduled_ = false;
  return batch;
}

void VerdictQueue::callJs(Napi::Env env, Napi::Function callback, VerdictQueue* queue, void*) {
  if (env == nullptr) return;  // the TSFN is being torn down
  queue->flush(env);
}

void VerdictQueue::flush(Napi::Env env) {
  std::vector<VerdictRecord> batch = take();
  if (batch.empty()) return;
  Napi::Array array = Napi::Array::New(env, batch.size());
  for (size_t i = 0; i < batch.size(); i++) array.Set(static_cast<uint32_t>(i), toJs(env, batch[i]));
  delivered_ += batch.size();
  callback_.Call({array});
}

void VerdictQueue::close(Napi::Env env) {
  if (closed_) return;
  flush(env);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  tsfn_.Release();
}

Napi::Object VerdictQueue::toJs(Napi::Env env, const VerdictRecord& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("timeMs", Napi::Number::New(env, static_cast<double>(r.timeMs)));
  o.Set("pid", Napi::Number::New(env, r.pid));
  o.Set("ppid", Napi::Number::New(env, r.ppid));
  o.Set("uid", Napi::Number::New(env, static_cast<double>(r.uid)));
  o.Set("containerId", Napi::String::New(env, r.containerId));
  o.Set("path", Napi::String::New(env, r.path));
  o.Set("hostPath", Napi::String::New(env, r.hostPath));
  o.Set("reason", Napi::String::New(env, reasonName(r.reason)));
  o.Set("verdict", Napi::String::New(env, verdictName(r.verdict)));
  o.Set("mode", Napi::String::New(env, modeName(r.mode)));
  o.Set("sha256", Napi::String::New(env, r.sha256Hex));
  o.Set("copyOf", Napi::String::New(env, r.copyOf));
  o.Set("policy", Napi::String::New(env, r.policy));
  o.Set("exe", Napi::String::New(env, r.exe));
  o.Set("cmdline", Napi::String::New(env, r.cmdline));
  o.Set("parentExe", Napi::String::New(env, r.parentExe));
  return o;
}

}  // namespace driftguard
