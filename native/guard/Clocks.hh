// Clock readings the guard records: monotonic for deadlines and latencies, wall clock for
// the time of a finding. Any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace driftguard {

inline int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace driftguard
