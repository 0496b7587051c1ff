// Reads a small file of a container's root without trusting anything in it. [JS thread:
// a few syscalls on files of at most 64 KiB]
#pragma once

#include <napi.h>

namespace driftguard {

// readFileBeneath(root, path, maxBytes) → Buffer | null. `path` is resolved beneath the
// directory `root` (typically /proc/<pid>/root, followed) by util/OpenBeneath: a symlink
// anywhere on the way or a ".." out of the root yields null, as does a file that is not
// regular (no FIFO or device is ever opened for reading: O_PATH first) or is larger than
// maxBytes. Throws only for bad arguments.
Napi::Value ReadFileBeneath(const Napi::CallbackInfo& info);

}  // namespace driftguard
