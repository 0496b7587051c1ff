#include "guard/ExecGuardWrap.hh"

#include "guard/JsConvert.hh"
#include "napi/JsArgs.hh"

namespace driftguard {

Napi::Function ExecGuardWrap::Define(Napi::Env env) {
  return DefineClass(env, "ExecGuard",
                     {
                         InstanceMethod("start", &ExecGuardWrap::Start),
                         InstanceMethod("markFilesystem", &ExecGuardWrap::MarkFilesystem),
                         InstanceMethod("unmarkFilesystem", &ExecGuardWrap::UnmarkFilesystem),
                         InstanceMethod("apply", &ExecGuardWrap::Apply),
                         InstanceMethod("stats", &ExecGuardWrap::Stats),
                         InstanceMethod("watchRuntimeBinaries", &ExecGuardWrap::WatchRuntimeBinaries),
                         InstanceMethod("startPause", &ExecGuardWrap::StartPause),
                         InstanceMethod("resumeIgnoreMarks", &ExecGuardWrap::ResumeIgnoreMarks),
                         InstanceMethod("onStartPause", &ExecGuardWrap::OnStartPause),
                         InstanceMethod("flushVerdicts", &ExecGuardWrap::FlushVerdicts),
                         InstanceMethod("close", &ExecGuardWrap::Close),
                     });
}

ExecGuardWrap::ExecGuardWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExecGuardWrap>(info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 2 && info[0].IsObject() && info[1].IsFunction(),
                   "usage: new ExecGuard(options: ExecGuardOptions, onVerdicts: (batch) => void)");
  Napi::Object options = info[0].As<Napi::Object>();
  GuardOptions guardOptions = guardOptionsFromJs(options);
  size_t limit = js::integerField(options, "verdictBufferLimit", 65536, "options");
  verdicts_ = std::make_unique<BatchQueue<VerdictRecord>>(env, info[1].As<Napi::Function>(), limit,
                                                          "driftguard-verdicts", verdictToJs);
  try {
    guard_ = std::make_unique<ExecGuard>(guardOptions, *verdicts_);
  } catch (...) {
    verdicts_->close(env);  // a TSFN never released would keep the event loop alive
    throw;
  }
}

ExecGuardWrap::~ExecGuardWrap() {
  // Garbage collected without close(): stop the threads; the TSFN dies with the env.
  if (guard_) guard_->stop();
  releasePauseListener();
}

ExecGuard& ExecGuardWrap::guard(Napi::Env env) {
  if (!guard_) throw Napi::Error::New(env, "ExecGuard is closed");
  return *guard_;
}

Napi::Value ExecGuardWrap::Start(const Napi::CallbackInfo& info) {
  guard(info.Env()).start();
  return info.Env().Undefined();
}

Napi::Value ExecGuardWrap::MarkFilesystem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info,
                   info.Length() >= 1 && info[0].IsString() && (info.Length() < 2 || info[1].IsBoolean()) &&
                       (info.Length() < 3 || info[2].IsNumber()),
                   "usage: markFilesystem(path: string, keepDirFd?: boolean, expectDev?: number)");
  bool keep = info.Length() < 2 || info[1].As<Napi::Boolean>().Value();
  uint64_t expectDev = info.Length() > 2 ? js::integer(info[2], "expectDev") : 0;
  MarkInfo mark = guard(env).markFilesystem(info[0].As<Napi::String>().Utf8Value(), keep, expectDev);
  Napi::Object out = Napi::Object::New(env);
  out.Set("dev", Napi::Number::New(env, static_cast<double>(mark.dev)));
  out.Set("added", Napi::Boolean::New(env, mark.added));
  return out;
}

Napi::Value ExecGuardWrap::UnmarkFilesystem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsNumber(), "usage: unmarkFilesystem(dev: number)");
  guard(env).unmarkFilesystem(js::integer(info[0], "dev"));
  return env.Undefined();
}

Napi::Value ExecGuardWrap::Apply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsObject(), "usage: apply(change: TablesChange)");
  guard(env).applyTables(tablesChangeFromJs(info[0].As<Napi::Object>()));
  return env.Undefined();
}

Napi::Value ExecGuardWrap::Stats(const Napi::CallbackInfo& info) {
  GuardStats stats = guard(info.Env()).stats();
  stats.verdictsDropped = verdicts_->dropped();
  stats.verdictsDelivered = verdicts_->delivered();
  return statsToJs(info.Env(), stats);
}

Napi::Value ExecGuardWrap::WatchRuntimeBinaries(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsArray(), "usage: watchRuntimeBinaries(paths: string[])");
  size_t watched = guard(env).watchRuntimeBinaries(js::stringArray(info[0], "paths"));
  return Napi::Number::New(env, static_cast<double>(watched));
}

Napi::Value ExecGuardWrap::StartPause(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StartPauseState state = guard(env).startPause();
  Napi::Object out = Napi::Object::New(env);
  out.Set("paused", Napi::Boolean::New(env, state.paused));
  out.Set("seq", Napi::Number::New(env, static_cast<double>(state.seq)));
  out.Set("runtimesWatched", Napi::Number::New(env, static_cast<double>(state.runtimesWatched)));
  return out;
}

Napi::Value ExecGuardWrap::ResumeIgnoreMarks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsNumber(), "usage: resumeIgnoreMarks(seq: number)");
  return Napi::Boolean::New(env, guard(env).resumeIgnoreMarks(js::integer(info[0], "seq")));
}

// [JS thread] One call in flight at most: pauses that come while it waits are covered by
// it (the listener reads the newest pause). The flag is shared with queued calls, never the
// wrap, so a call that runs after close touches nothing freed.
Napi::Value ExecGuardWrap::OnStartPause(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsFunction(), "usage: onStartPause(listener: () => void)");
  ExecGuard& execGuard = guard(env);
  releasePauseListener();
  pauseCalls_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "driftguard-start-pause", 0, 1);
  pauseCalls_->Unref(env);
  auto calls = *pauseCalls_;
  auto queued = std::make_shared<std::atomic<bool>>(false);
  execGuard.onStartPause([calls, queued]() mutable {
    if (queued->exchange(true)) return;
    napi_status status = calls.NonBlockingCall([queued](Napi::Env, Napi::Function listener) {
      queued->store(false);
      if (!listener.IsEmpty()) listener.Call({});
    });
    if (status != napi_ok) queued->store(false);  // closing: the periodic check remains
  });
  return env.Undefined();
}

void ExecGuardWrap::releasePauseListener() {
  if (!pauseCalls_) return;
  if (guard_) guard_->onStartPause(nullptr);  // no call after this returns
  pauseCalls_->Release();
  pauseCalls_.reset();
}

Napi::Value ExecGuardWrap::FlushVerdicts(const Napi::CallbackInfo& info) {
  verdicts_->flush(info.Env());
  return info.Env().Undefined();
}

Napi::Value ExecGuardWrap::Close(const Napi::CallbackInfo& info) {
  if (guard_) {
    guard_->stop();
    releasePauseListener();
    guard_.reset();
    verdicts_->close(info.Env());
  }
  return info.Env().Undefined();
}

}  // namespace driftguard
