#include "napi/JsArgs.hh"
#include "testing/TestExports.hh"
#include "util/OpenBeneath.hh"

namespace driftguard {

Napi::Value BeneathModeOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "usage: beneathMode(mode?: \"openat2\" | \"component-walk\")";
  js::requireUsage(info, info.Length() == 0 || (info.Length() == 1 && info[0].IsString()), usage);
  std::string mode = info.Length() == 1 ? info[0].As<Napi::String>().Utf8Value() : "";
  if (mode == "openat2") {
    forceBeneathMode(BeneathMode::Openat2);
  } else if (mode == "component-walk") {
    forceBeneathMode(BeneathMode::ComponentWalk);
  } else {
    js::requireUsage(info, mode.empty(), usage);
  }
  return Napi::String::New(env, beneathMode() == BeneathMode::Openat2 ? "openat2" : "component-walk");
}

}  // namespace driftguard
