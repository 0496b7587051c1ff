// Validation of JS arguments at the addon's boundary, the same for every native object.
// [JS thread] Two message styles only: a call of the wrong shape throws the function's
// usage string ("usage: apply(change: TablesChange)"); a wrong value throws a TypeError
// naming where it is ("change.putContainers[2].policy.mode must be ..."). Callers validate
// once here and trust the C++ types inside.
//
// A failed syscall reaches JS as an Error whose code is the errno's name (errnoError), so
// callers tell a vanished entry (ENOENT, ELOOP) from a failure without parsing messages.
//
// C++ exceptions thrown by the cores (std::runtime_error naming the syscall, ...) reach JS
// as an Error with their message: binding.gyp defines NODE_ADDON_API_CPP_EXCEPTIONS_ALL,
// node-addon-api's one mapping of std::exception, so wrappers need no catch blocks.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "decide/Types.hh"

namespace driftguard::js {

// Integers a double holds exactly: larger ones are refused, not rounded.
constexpr uint64_t kMaxSafeInteger = 9007199254740991ull;

[[noreturn]] void throwTypeError(Napi::Env env, const std::string& message);
// Throws usage unless ok: for the shape of a call (count and types of its arguments).
void requireUsage(const Napi::CallbackInfo& info, bool ok, const char* usage);

// Error "<what>: <strerror(err)>" with code set as setErrnoCode does.
Napi::Error errnoError(Napi::Env env, const std::string& what, int err);
// error.code = the name of err ("ENOENT"); nothing for 0 or an errno without a name.
void setErrnoCode(const Napi::Error& error, int err);

// A number that is an integer in [min, max]; where names it in the error.
uint64_t integer(const Napi::Value& v, const std::string& where, uint64_t min = 0, uint64_t max = kMaxSafeInteger);
// o[name] as above, fallback when undefined.
uint64_t integerField(const Napi::Object& o, const char* name, uint64_t fallback, const std::string& where,
                      uint64_t min = 0, uint64_t max = kMaxSafeInteger);
bool booleanField(const Napi::Object& o, const char* name, bool fallback, const std::string& where);
std::string stringField(const Napi::Object& o, const char* name, const std::string& where);
std::string optionalStringField(const Napi::Object& o, const char* name, const std::string& fallback,
                                const std::string& where);
std::vector<std::string> stringArray(const Napi::Value& v, const std::string& where);
// o[name] as a string array, empty when undefined.
std::vector<std::string> optionalStringArray(const Napi::Object& o, const char* name, const std::string& where);
Napi::Object object(const Napi::Value& v, const std::string& where);
Napi::Array array(const Napi::Value& v, const std::string& where);
// o[name]: "enforce", "audit" or "disabled" (the one parser of policy modes).
Mode modeField(const Napi::Object& o, const char* name, const std::string& where);
// An array of non-negative integers.
std::vector<uint64_t> integers(const Napi::Value& v, const std::string& where);

// Every element of a, each an object, through convert(object, where) with where "name[i]".
template <typename Convert>
auto objects(const Napi::Array& a, const std::string& name, Convert convert) {
  std::vector<decltype(convert(Napi::Object(), std::string()))> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string where = name + "[" + std::to_string(i) + "]";
    out.push_back(convert(object(a.Get(i), where), where));
  }
  return out;
}

}  // namespace driftguard::js
