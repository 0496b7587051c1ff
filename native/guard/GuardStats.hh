// Counters the guard keeps for metrics and benchmarks. Written with relaxed atomics from
// any native thread; read as a snapshot (GuardStats) from the JS thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace driftguard {

// Decision latency buckets: bucket i counts decisions taking < 2^i microseconds
// (the last bucket takes everything slower).
constexpr size_t kLatencyBuckets = 24;

struct GuardStats {
  uint64_t events = 0, allowedHost = 0, allowedImage = 0, allowedContainer = 0;
  uint64_t blocked = 0, audited = 0, heldTotal = 0, holdOverflow = 0, deadlineExceeded = 0;
  uint64_t hashed = 0, hashErrors = 0, hashCacheHits = 0, hashCacheMisses = 0;
  uint64_t stalledDrained = 0, verdictsDropped = 0, verdictsDelivered = 0;
  uint64_t procReadsAbandoned = 0;  // /proc reads given up (a process held its mmap lock)
  // Verdicts the content decides: unproven ones, leases refused (a writer, or no right to
  // one), hashes not cached for racy timestamps, holds until the exec committed.
  uint64_t unverified = 0, leaseRefused = 0, racyNotCached = 0, commitHolds = 0, commitHoldTimeouts = 0;
  // Digests computed for findings after the answer, and findings sent without one (queue full).
  uint64_t findingHashes = 0, findingHashesSkipped = 0;
  uint64_t canaryRefused = 0;  // the agent's own canary execs (no finding)
  uint64_t pendingNow = 0, heldNow = 0, marks = 0, tablesGeneration = 0, containers = 0, images = 0;
  // Exec ignore marks (IgnoreMarks): now, added, evicted for room, clears of all, refused.
  uint64_t ignoreMarks = 0, ignoreMarksAdded = 0, ignoreMarkEvictions = 0, ignoreMarkFlushes = 0;
  uint64_t ignoreMarkFailures = 0, ignoreMarkLimit = 0;
  bool ignoreMarksPaused = false;  // a container start is pending (RuntimeStarts)
  uint64_t ignoreMarkPauses = 0, ignoreMarkResumes = 0, runtimeExecs = 0, runtimesWatched = 0;
  bool ownerByCgroupId = false;  // how processes are told apart (see ProcessOwners)
  std::array<uint64_t, kLatencyBuckets> latencyMicrosLog2{};
};

struct Counters {
  std::atomic<uint64_t> events{0}, allowedHost{0}, allowedImage{0}, allowedContainer{0};
  std::atomic<uint64_t> blocked{0}, audited{0}, heldTotal{0}, holdOverflow{0}, deadlineExceeded{0};
  std::atomic<uint64_t> hashed{0}, hashErrors{0}, stalledDrained{0}, canaryRefused{0}, ignoreFlushFailed{0};
  std::atomic<uint64_t> unverified{0}, leaseRefused{0}, racyNotCached{0}, findingHashes{0}, findingHashesSkipped{0};
  std::array<std::atomic<uint64_t>, kLatencyBuckets> latency{};
};

}  // namespace driftguard
