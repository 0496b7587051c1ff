// The lineage reader's view of /proc files that take a process's mmap lock (cmdline): read
// with a bound (util/BoundedProcRead.hh) so that a container process holding its lock
// cannot stall the agent's JavaScript thread. [JS thread; waits at most ~50 ms]
#pragma once

#include <napi.h>

namespace driftguard {

// readProcFileBounded(path, maxBytes) → Buffer (empty when it cannot be opened) | null (not
// read in time). maxBytes <= 65536. Throws only for bad arguments.
Napi::Value ReadProcFileBounded(const Napi::CallbackInfo& info);

}  // namespace driftguard
