// Conversions between JS values and the guard's C++ types. [JS thread]
// Each throws a Napi::TypeError naming the field that is wrong (napi/JsArgs.hh); callers
// validate once, at the boundary, and trust the types inside.
#pragma once

#include <napi.h>

#include "decide/TablesBuilder.hh"
#include "guard/ExecGuard.hh"

namespace driftguard {

GuardOptions guardOptionsFromJs(const Napi::Object& options);
TablesChange tablesChangeFromJs(const Napi::Object& change);
ContainerPolicy policyFromJs(const Napi::Object& policy, const std::string& where);
Napi::Object statsToJs(Napi::Env env, const GuardStats& stats);
Napi::Object verdictToJs(Napi::Env env, const VerdictRecord& record);

}  // namespace driftguard
