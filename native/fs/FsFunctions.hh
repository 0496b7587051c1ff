// File functions the baseline builder and the writable-layer checks need and Node lacks.
// [JS thread; the hashing itself runs on the libuv thread pool]
#pragma once

#include <napi.h>

namespace driftguard {

// hashFile(path, maxBytes) → Promise<{sha256, bytes}>: opens without following a final
// symlink and without blocking on FIFOs, refuses anything but a regular file.
Napi::Value HashFile(const Napi::CallbackInfo& info);
// hashFileBeneath(root, rel, options) → the same, for rel opened beneath root without
// following a symlink at any component (util/OpenBeneath.hh). Errors carry the errno's
// name as code.
Napi::Value HashFileBeneath(const Napi::CallbackInfo& info);

}  // namespace driftguard
