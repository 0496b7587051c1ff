// The start-up self-test's probes: each one uses a kernel facility the exec guard needs,
// on a real object, and throws the syscall's error (code: the errno name) when the kernel
// refuses. [JS thread; each returns at once]
#pragma once

#include <napi.h>

namespace driftguard {

// probeFanotify(): fanotify_init as the exec guard calls it, then close.
Napi::Value ProbeFanotify(const Napi::CallbackInfo& info);
// probeFileHandle(dir): name_to_handle_at + open_by_handle_at of dir against itself, the
// round trip that tells which snapshot an executed file lives in.
Napi::Value ProbeFileHandle(const Napi::CallbackInfo& info);

}  // namespace driftguard
