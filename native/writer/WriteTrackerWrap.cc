#include "writer/WriteTrackerWrap.hh"

#include <stdexcept>

#include "napi/JsArgs.hh"

namespace driftguard {

Napi::Function WriteTrackerWrap::Define(Napi::Env env) {
  return DefineClass(env, "WriteTracker",
                     {
                         InstanceMethod("markFilesystem", &WriteTrackerWrap::MarkFilesystem),
                         InstanceMethod("start", &WriteTrackerWrap::Start),
                         InstanceMethod("writerOf", &WriteTrackerWrap::WriterOf),
                         InstanceMethod("stats", &WriteTrackerWrap::Stats),
                         InstanceMethod("close", &WriteTrackerWrap::Close),
                     });
}

WriteTrackerWrap::WriteTrackerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WriteTrackerWrap>(info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsObject(),
                   "usage: new WriteTracker({ hostMountNamespace: number, capacity: number })");
  Napi::Object options = info[0].As<Napi::Object>();
  uint64_t hostNamespace = js::integerField(options, "hostMountNamespace", 0, "WriteTracker options");
  size_t capacity = js::integerField(options, "capacity", 16384, "WriteTracker options");
  try {
    tracker_ = std::make_unique<WriteTracker>(hostNamespace, capacity);
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
}

WriteTracker& WriteTrackerWrap::tracker(Napi::Env env) {
  if (!tracker_) throw Napi::Error::New(env, "WriteTracker is closed");
  return *tracker_;
}

Napi::Value WriteTrackerWrap::MarkFilesystem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsString(), "usage: markFilesystem(path: string)");
  try {
    return Napi::Number::New(env,
                             static_cast<double>(tracker(env).markFilesystem(info[0].As<Napi::String>().Utf8Value())));
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Value WriteTrackerWrap::Start(const Napi::CallbackInfo& info) {
  tracker(info.Env()).start();
  return info.Env().Undefined();
}

Napi::Value WriteTrackerWrap::WriterOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsString(), "usage: writerOf(path: string)");
  FileWriter w;
  if (!tracker(env).writerOf(info[0].As<Napi::String>().Utf8Value(), &w)) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, w.pid));
  out.Set("uid", Napi::Number::New(env, static_cast<double>(w.uid)));
  out.Set("exe", Napi::String::New(env, w.exe));
  out.Set("cmdline", Napi::String::New(env, w.cmdline));
  out.Set("timeMs", Napi::Number::New(env, static_cast<double>(w.timeMs)));
  return out;
}

Napi::Value WriteTrackerWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WriteTrackerStats s = tracker(env).stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("events", Napi::Number::New(env, static_cast<double>(s.events)));
  out.Set("recorded", Napi::Number::New(env, static_cast<double>(s.recorded)));
  out.Set("overflows", Napi::Number::New(env, static_cast<double>(s.overflows)));
  out.Set("writerGone", Napi::Number::New(env, static_cast<double>(s.writerGone)));
  out.Set("evicted", Napi::Number::New(env, static_cast<double>(s.evicted)));
  out.Set("tracked", Napi::Number::New(env, static_cast<double>(s.tracked)));
  return out;
}

Napi::Value WriteTrackerWrap::Close(const Napi::CallbackInfo& info) {
  if (tracker_) {
    tracker_->stop();
    tracker_.reset();
  }
  return info.Env().Undefined();
}

}  // namespace driftguard
