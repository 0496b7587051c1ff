#include "guard/ExecGuardWrap.hh"

#include "guard/JsConvert.hh"

namespace driftguard {

namespace {
constexpr const char* kUsage = "usage: new ExecGuard(options: ExecGuardOptions, onVerdicts: (batch) => void)";
}

Napi::Function ExecGuardWrap::Define(Napi::Env env) {
  return DefineClass(env, "ExecGuard",
                     {
                         InstanceMethod("start", &ExecGuardWrap::Start),
                         InstanceMethod("markFilesystem", &ExecGuardWrap::MarkFilesystem),
                         InstanceMethod("unmarkFilesystem", &ExecGuardWrap::UnmarkFilesystem),
                         InstanceMethod("apply", &ExecGuardWrap::Apply),
                         InstanceMethod("stats", &ExecGuardWrap::Stats),
                         InstanceMethod("flushVerdicts", &ExecGuardWrap::FlushVerdicts),
                         InstanceMethod("close", &ExecGuardWrap::Close),
                     });
}

ExecGuardWrap::ExecGuardWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ExecGuardWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, kUsage);
  }
  Napi::Object options = info[0].As<Napi::Object>();
  GuardOptions guardOptions = guardOptionsFromJs(options);
  Napi::Value limit = options.Get("verdictBufferLimit");
  size_t verdictLimit = limit.IsNumber() ? limit.As<Napi::Number>().Uint32Value() : 65536;
  verdicts_ = std::make_unique<VerdictQueue>(env, info[1].As<Napi::Function>(), verdictLimit);
  try {
    guard_ = std::make_unique<ExecGuard>(guardOptions, *verdicts_);
  } catch (const std::exception& e) {
    verdicts_->close(env);
    throw Napi::Error::New(env, e.what());
  }
}

ExecGuardWrap::~ExecGuardWrap() {
  // Garbage collected without close(): stop the threads; the TSFN dies with the env.
  if (guard_) guard_->stop();
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
  if (info.Length() < 1 || !info[0].IsString() || (info.Length() > 1 && !info[1].IsBoolean()) ||
      (info.Length() > 2 && !info[2].IsNumber())) {
    throw Napi::TypeError::New(env, "usage: markFilesystem(path: string, keepDirFd?: boolean, expectDev?: number)");
  }
  bool keep = info.Length() < 2 || info[1].As<Napi::Boolean>().Value();
  uint64_t expectDev = info.Length() > 2 ? static_cast<uint64_t>(info[2].As<Napi::Number>().DoubleValue()) : 0;
  try {
    MarkInfo mark = guard(env).markFilesystem(info[0].As<Napi::String>().Utf8Value(), keep, expectDev);
    Napi::Object out = Napi::Object::New(env);
    out.Set("dev", Napi::Number::New(env, static_cast<double>(mark.dev)));
    out.Set("added", Napi::Boolean::New(env, mark.added));
    return out;
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Value ExecGuardWrap::UnmarkFilesystem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(env, "usage: unmarkFilesystem(dev: number)");
  guard(env).unmarkFilesystem(static_cast<uint64_t>(info[0].As<Napi::Number>().DoubleValue()));
  return env.Undefined();
}

Napi::Value ExecGuardWrap::Apply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "usage: apply(change: TablesChange)");
  TablesChange change = tablesChangeFromJs(info[0].As<Napi::Object>());
  try {
    guard(env).applyTables(change);
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value ExecGuardWrap::Stats(const Napi::CallbackInfo& info) {
  GuardStats stats = guard(info.Env()).stats();
  stats.verdictsDropped = verdicts_->dropped();
  stats.verdictsDelivered = verdicts_->delivered();
  return statsToJs(info.Env(), stats);
}

Napi::Value ExecGuardWrap::FlushVerdicts(const Napi::CallbackInfo& info) {
  verdicts_->flush(info.Env());
  return info.Env().Undefined();
}

Napi::Value ExecGuardWrap::Close(const Napi::CallbackInfo& info) {
  if (guard_) {
    guard_->stop();
    guard_.reset();
    verdicts_->close(info.Env());
  }
  return info.Env().Undefined();
}

}  // namespace driftguard
