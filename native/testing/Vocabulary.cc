#include "bpf/SensorTypes.hh"
#include "decide/Types.hh"
#include "testing/TestExports.hh"

namespace driftguard {

namespace {
template <size_t N>
Napi::Array names(Napi::Env env, const std::array<const char*, N>& table) {
  Napi::Array out = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; i++) out.Set(static_cast<uint32_t>(i), table[i]);
  return out;
}
}  // namespace

Napi::Value Vocabulary(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("guardReasons", names(env, kReasonNames));  // "none" included: judge() returns it
  out.Set("sensorReasons", names(env, kSensorReasonNames));
  out.Set("verdicts", names(env, kVerdictNames));
  out.Set("actions", names(env, kActionNames));
  out.Set("modes", names(env, kModeNames));
  return out;
}

}  // namespace driftguard
