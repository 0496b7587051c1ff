// Conversions between JS values and the eBPF sensor's C++ types. [JS thread]
// Each throws a Napi::TypeError naming what is wrong (napi/JsArgs.hh).
#pragma once

#include <napi.h>

#include <vector>

#include "bpf/SensorTypes.hh"

namespace driftguard {

SensorOptions sensorOptionsFromJs(const Napi::Object& options);
std::vector<SensorContainer> sensorContainersFromJs(const Napi::Array& containers);
std::vector<TrustedFile> trustedFilesFromJs(const Napi::Array& files);
std::vector<uint64_t> cgroupIdsFromJs(const Napi::Array& ids);
Napi::Object coverageToJs(Napi::Env env, const Coverage& coverage);
// dropped and delivered: the findings queue's counters.
Napi::Object sensorStatsToJs(Napi::Env env, const SensorStats& stats, uint64_t dropped, uint64_t delivered);
Napi::Object sensorFindingToJs(Napi::Env env, const SensorFinding& finding);

}  // namespace driftguard
