// The names the addon gives reasons, verdicts and modes, for the test that binds them to
// the TypeScript vocabulary (test/unit/domain/vocabulary.test.ts). [JS thread]
#pragma once

#include <napi.h>

namespace driftguard {

// vocabulary() → {guardReasons, sensorReasons, verdicts, modes}: every name, in enum order.
Napi::Value Vocabulary(const Napi::CallbackInfo& info);

}  // namespace driftguard
