// An exclusive lock on a file (flock) held for the rest of the process's life: the kernel
// drops it when the process dies, however it dies, so a crashed holder leaves no stale lock.
// [JS thread]
#pragma once

#include <napi.h>

namespace driftguard {

// holdFileLock(path) → true when this process now holds the lock (the file is created if
// missing and kept open), false when another open of it holds it; throws on other errors.
Napi::Value HoldFileLock(const Napi::CallbackInfo& info);

}  // namespace driftguard
