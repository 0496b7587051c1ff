// File functions the baseline builder needs and Node lacks. [JS thread; the hashing
// itself runs on the libuv thread pool]
#pragma once

#include <napi.h>

namespace driftguard {

// hashFile(path, maxBytes) → Promise<{sha256, bytes}>: opens without following a final
// symlink and without blocking on FIFOs, refuses anything but a regular file.
Napi::Value HashFile(const Napi::CallbackInfo& info);
// readXattr(path, name) → Buffer | null (lgetxattr: never follows a symlink).
Napi::Value ReadXattr(const Napi::CallbackInfo& info);

}  // namespace driftguard
