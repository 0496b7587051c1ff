// Functions only the test build exports (build/Release/driftguard_test.node, target
// driftguard_test in binding.gyp; contract: test/testbed/nativeTestBinding.ts). binding.gyp
// builds everything else once, as the static library driftguard_core, and links it into
// both addons; the production addon (driftguard.node, the one the image ships) has none of
// these. [JS thread]
#pragma once

#include <napi.h>

namespace driftguard {

// judge(candidate) → {verdict, reason}: the pure decision, for table-driven tests.
Napi::Value Judge(const Napi::CallbackInfo& info);
// vocabulary() → {guardReasons, sensorReasons, verdicts, modes}: every name the addon gives
// its enums, in enum order, for test/unit/domain/vocabulary.test.ts.
Napi::Value Vocabulary(const Napi::CallbackInfo& info);
// beneathMode(mode?) → "openat2" | "component-walk": the mechanism of util/OpenBeneath in
// this addon; a mode forces it, so that tests run the fallback on kernels with openat2.
// (Each addon links its own copy of the core: forcing it here leaves driftguard.node as is.)
Napi::Value BeneathModeOf(const Napi::CallbackInfo& info);
// cgroupOfEndingProcess(end) → {id, path, pathIsItsOwn, expectedPath, unsupported}: a forked
// child's cgroup through util/ProcessHandle, the child killed (and reaped) between the id
// and the path as `end` says.
Napi::Value CgroupOfEndingProcess(const Napi::CallbackInfo& info);

}  // namespace driftguard
