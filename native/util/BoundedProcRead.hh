// Reads of /proc files that take the target process's mmap lock (cmdline, environ), with a
// bound on how long the caller waits. The process itself can hold that lock for seconds
// (threads mapping and unmapping populated memory; no privilege needed), and a read waits
// for it in the kernel where no timeout or signal but a fatal one reaches it. So the read
// runs on a helper thread of the calling thread; the caller waits at most a bound and, past
// it, goes on without the content. A helper still stuck in an earlier read makes its caller
// skip at once, and every caller has a waiting budget per second, so a process that stalls
// each read just under the bound cannot make the caller wait most of the time either.
// Used by every native thread that must not stall: the fanotify thread before it answers,
// the watchdog, the sensor's and the write tracker's readers, and the JS thread (lineage).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace driftguard {

/** How long a caller waits for one read, and how much it may wait per second in all. */
constexpr std::chrono::milliseconds kProcReadWait{50};
constexpr std::chrono::milliseconds kProcReadBudgetPerSecond{250};

/** At most maxBytes of the file at path (e.g. /proc/<pid>/cmdline); "" when it cannot be
    opened (the process is gone); nullopt when the read did not finish in time (or the
    caller's helper is still stuck, or its budget is spent). [any thread; each calling
    thread gets its own helper] */
std::optional<std::string> readProcFileBounded(const std::string& path, size_t maxBytes,
                                               std::chrono::milliseconds wait = kProcReadWait);

/** Reads given up since the process started (all threads). [any thread] */
uint64_t procReadsAbandoned();

}  // namespace driftguard
