#include "bpf/FindingQueue.hh"

#include "decide/Types.hh"

namespace driftguard {

FindingQueue::FindingQueue(Napi::Env env, Napi::Function onBatch, size_t limit) : limit_(limit) {
  callback_ = Napi::Persistent(onBatch);
  tsfn_ = Tsfn::New(env, onBatch, "driftguard-sensor-findings", 0, 1, this);
}

void FindingQueue::push(std::vector<SensorFinding>&& batch) {
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    for (SensorFinding& f : batch) {
      if (buffer_.size() >= limit_) {
        dropped_++;
        continue;
      }
      buffer_.push_back(std::move(f));
    }
    schedule = !scheduled_ && !buffer_.empty();
    scheduled_ = scheduled_ || schedule;
  }
  if (schedule) tsfn_.NonBlockingCall();
}

void FindingQueue::callJs(Napi::Env env, Napi::Function, FindingQueue* queue, void*) {
  if (env == nullptr) return;  // the TSFN is being torn down
  queue->flush(env);
}

void FindingQueue::flush(Napi::Env env) {
  std::vector<SensorFinding> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(buffer_);
    scheduled_ = false;
  }
  if (batch.empty()) return;
  Napi::Array array = Napi::Array::New(env, batch.size());
  for (size_t i = 0; i < batch.size(); i++) array.Set(static_cast<uint32_t>(i), toJs(env, batch[i]));
  delivered_ += batch.size();
  callback_.Call({array});
}

void FindingQueue::close(Napi::Env env) {
  if (closed_) return;
  flush(env);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  tsfn_.Release();
}

Napi::Object FindingQueue::toJs(Napi::Env env, const SensorFinding& f) {
  Napi::Object o = Napi::Object::New(env);
  auto number = [&](const char* key, double v) { o.Set(key, Napi::Number::New(env, v)); };
  auto string = [&](const char* key, const std::string& v) { o.Set(key, Napi::String::New(env, v)); };
  number("timeMs", static_cast<double>(f.timeMs));
  string("reason", sensorReasonName(f.reason));
  string("source", sensorSourceName(f.source));
  string("verdict", f.blocked ? "blocked" : "audited");
  string("mode", modeName(static_cast<Mode>(f.mode)));
  number("pid", f.pid);
  number("ppid", f.ppid);
  number("uid", static_cast<double>(f.uid));
  number("cgroupId", static_cast<double>(f.cgroupId));
  string("containerId", f.containerId);
  string("comm", f.comm);
  string("path", f.path);
  string("name", f.name);
  o.Set("memfd", Napi::Boolean::New(env, f.memfd));
  o.Set("unlinked", Napi::Boolean::New(env, f.unlinked));
  o.Set("volume", Napi::Boolean::New(env, f.volume));
  number("dev", static_cast<double>(f.dev));
  number("ino", static_cast<double>(f.ino));
  string("exe", f.exe);
  string("cmdline", f.cmdline);
  string("parentExe", f.parentExe);
  return o;
}

}  // namespace driftguard
