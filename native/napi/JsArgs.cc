#include "napi/JsArgs.hh"

#include <cmath>
#include <cstring>

namespace driftguard::js {

void throwTypeError(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

void requireUsage(const Napi::CallbackInfo& info, bool ok, const char* usage) {
  if (!ok) throwTypeError(info.Env(), usage);
}

Napi::Error errnoError(Napi::Env env, const std::string& what, int err) {
  Napi::Error error = Napi::Error::New(env, what + ": " + strerror(err));
  setErrnoCode(error, err);
  return error;
}

void setErrnoCode(const Napi::Error& error, int err) {
  const char* name = err != 0 ? strerrorname_np(err) : nullptr;
  if (name != nullptr) error.Value().Set("code", Napi::String::New(error.Env(), name));
}

uint64_t integer(const Napi::Value& v, const std::string& where, uint64_t min, uint64_t max) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= static_cast<double>(kMaxSafeInteger) && std::floor(d) == d)) {
    if (min == 0 && max == kMaxSafeInteger) throwTypeError(v.Env(), where + " must be a non-negative integer");
    throwTypeError(v.Env(), where + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  uint64_t n = static_cast<uint64_t>(d);
  if (n < min || n > max) {
    throwTypeError(v.Env(), where + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return n;
}

uint64_t integerField(const Napi::Object& o, const char* name, uint64_t fallback, const std::string& where,
                      uint64_t min, uint64_t max) {
  Napi::Value v = o.Get(name);
  return v.IsUndefined() ? fallback : integer(v, where + "." + name, min, max);
}

bool booleanField(const Napi::Object& o, const char* name, bool fallback, const std::string& where) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throwTypeError(o.Env(), where + "." + name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string stringField(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = o.Get(name);
  if (!v.IsString()) throwTypeError(o.Env(), where + "." + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::string optionalStringField(const Napi::Object& o, const char* name, const std::string& fallback,
                                const std::string& where) {
  return o.Get(name).IsUndefined() ? fallback : stringField(o, name, where);
}

std::vector<std::string> stringArray(const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) throwTypeError(v.Env(), where + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) throwTypeError(v.Env(), where + "[" + std::to_string(i) + "] must be a string");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

std::vector<std::string> optionalStringArray(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = o.Get(name);
  return v.IsUndefined() ? std::vector<std::string>{} : stringArray(v, where + "." + name);
}

Napi::Object object(const Napi::Value& v, const std::string& where) {
  if (!v.IsObject()) throwTypeError(v.Env(), where + " must be an object");
  return v.As<Napi::Object>();
}

Napi::Array array(const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) throwTypeError(v.Env(), where + " must be an array");
  return v.As<Napi::Array>();
}

Mode modeField(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = o.Get(name);
  std::string text = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  Mode mode;
  if (!parseMode(text, &mode)) {
    throwTypeError(o.Env(),
                   where + "." + name + " must be \"enforce\", \"audit\" or \"disabled\", not \"" + text + "\"");
  }
  return mode;
}

std::vector<uint64_t> integers(const Napi::Value& v, const std::string& where) {
  Napi::Array a = array(v, where);
  std::vector<uint64_t> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(integer(a.Get(i), where + "[" + std::to_string(i) + "]"));
  return out;
}

}  // namespace driftguard::js
