// The exec guard: the fanotify thread that decides every exec, the hash workers that prove
// a file's content when a verdict needs it, the finding hasher that hashes drift for its
// finding after the answer, the commit watch that keeps a proven file unwritable until its exec committed,
// and the watchdog that answers anything still pending at its deadline. Knows nothing of
// N-API (see ExecGuardWrap).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "decide/Decide.hh"
#include "decide/HashCache.hh"
#include "decide/TablesBuilder.hh"
#include "fanotify/FanotifySource.hh"
#include "fanotify/IgnoreMarks.hh"
#include "guard/ExecCommitWatch.hh"
#include "guard/GuardStats.hh"
#include "guard/ProcessOwners.hh"
#include "guard/RuntimeStarts.hh"
#include "pending/PendingDecisions.hh"
#include "util/RecordSink.hh"

namespace driftguard {

// Where the guard's threads hand verdicts (napi/BatchQueue delivers them to JS).
using VerdictSink = RecordSink<VerdictRecord>;

struct GuardOptions {
  std::chrono::milliseconds deadline{2000};
  // A verdict of a known container that waits for a hash or its baseline is answered by
  // that container's policy (unverified) at this deadline, before the global one.
  std::chrono::milliseconds hashDeadline{1500};
  bool failOpen = true;     // answer at the deadline: allow (open) or deny (closed)
  size_t holdLimit = 4096;  // execs held for containers not attached yet
  size_t hashWorkers = 2;
  uint64_t maxHashBytes = 1ull << 30;
  size_t hashCacheEntries = 65536;
  size_t findingHashQueue = 256;  // drift findings waiting for their digest, at most (and
                                  // maxHashBytes of them)
  // Longest a proven exec's file stays unwritable waiting for the exec to commit: past the
  // default CFS period (100 ms), so a throttled cgroup cannot outwait it.
  std::chrono::microseconds commitHoldMax{250000};
  bool processIdentityByNamespace = false;      // force the pre-6.13 way (see ProcessOwners)
  size_t ignoreMarkLimit = 16384;               // exec ignore marks at most (IgnoreMarks); 0: none
  uint64_t sampleBytesInFlight = 128ull << 20;  // captured samples read and not yet in JS, at most
  // No ignore mark until the agent watched the runtime binaries and resumed (RuntimeStarts).
  bool ignoreMarksStartPaused = false;
};

class ExecGuard {
 public:
  ExecGuard(const GuardOptions& options, VerdictSink& sink);  // throws on fanotify errors
  ~ExecGuard();

  void start();                                                                          // [JS thread]
  MarkInfo markFilesystem(const std::string& path, bool keepDirFd, uint64_t expectDev);  // [JS thread]
  void unmarkFilesystem(uint64_t dev);                                                   // [JS thread]
  void applyTables(const TablesChange& change);                                          // [JS thread]
  size_t watchRuntimeBinaries(const std::vector<std::string>& paths);                    // [JS thread]
  StartPauseState startPause() const;                                                    // [any thread]
  bool resumeIgnoreMarks(uint64_t seq);                                                  // [JS thread]
  GuardStats stats() const;                                                              // [any thread]
  void stop();                                                                           // [JS thread] idempotent
  // [JS thread] Called (without blocking, under the ignore lock) after each pause, so that
  // the agent checks for a resume at once rather than at its next tick.
  void onStartPause(std::function<void()> listener);

 private:
  // Everything needed to finish deciding one exec, possibly on a hash worker.
  struct Work {
    uint64_t id = 0;
    int eventFd = -1;
    Clock::time_point start;
    ExecFacts facts;
    std::shared_ptr<const Tables> tables;  // keeps the container alive while we decide
    Where where = Where::Host;
    const ContainerTable* container = nullptr;
    std::string containerPath;
    std::string callerProgram;  // when the policy allows by parent and it was needed
    bool leased = false;        // eventFd holds a read lease: the file has no writer
  };
  // A drift finding whose digest is computed after the answer.
  struct FindingHash {
    VerdictRecord record;
    int fd = -1;                           // a second descriptor of the event's open file
    FileIdentity identity;                 // as the event's fstat gave it: what to hash, what to cache
    std::shared_ptr<const Tables> tables;  // keeps container and image alive
    const ContainerTable* container = nullptr;
    const ImageFile* imageFile = nullptr;  // the image's file at that path
    std::optional<Sha256> known;           // the finding's digest when known before the answer
    bool capture = false;                  // read the bytes too (policy capture.maxBytes)
  };

  // Event loop (ExecGuard.cc)
  void runFanotifyThread();
  void readEvents();
  void retryHeld();
  // Decision (ExecGuardDecide.cc, ExecGuardVerdict.cc)
  void handleEvent(uint64_t id, int eventFd, int32_t pid);
  Resolution resolveFile(const Tables& tables, int eventFd, ExecFacts* facts, const ContainerTable* owner);
  void decideInContainer(Work&& work);
  void holdOrAnswer(uint64_t id, int eventFd, int32_t pid, Work* known = nullptr);
  Candidate candidateFor(const Work& work) const;
  void conclude(Work& work, const Sha256* digest, bool digestUnavailable);
  bool keepLeaseUntilCommit(Work& work);
  int reserveFindingHash(const Work& work);
  Capture captureFor(const Work& work) const;
  void releaseFindingHash(uint64_t size);
  ContainerFallback fallbackFor(const Work& work) const;
  void allow(uint64_t id, Clock::time_point start);
  // Ignore marks (ExecGuardIgnore.cc)
  void allowImageFile(Work& work, const std::string& relPath);
  void ignoreLaterExecs(const Work& work);
  void pauseForRuntime();
  void swapTables(std::shared_ptr<const Tables> next);
  std::optional<Sha256> cachedDigestForFinding(Work& work);
  VerdictRecord recordFor(const Work& work, const Decision& decision, const Sha256* digest,
                          const ImageFile* imageFile) const;
  static void fillDigest(VerdictRecord& record, const ContainerTable& container, const Sha256& digest,
                         const ImageFile* imageFile);
  void recordLatency(Clock::time_point start);
  // Hashing (ExecGuardHash.cc)
  void runHashWorker();
  void runFindingHasher();
  void proveByHash(Work& work);
  void cacheProven(const FileIdentity& identity, const Sha256& digest, int64_t hashStartNs);
  void hashForFinding(FindingHash& job);
  void captureForFinding(FindingHash& job);
  void queueFindingHash(FindingHash&& job);
  void flushFindingHashes();
  // Deadlines (ExecGuardWatchdog.cc)
  void runWatchdog();
  void drainStalled();
  VerdictRecord failModeRecord(int32_t pid, std::string path, Reason reason) const;
  VerdictRecord fallbackRecord(int32_t pid, const ContainerFallback& fallback) const;
  std::shared_ptr<const Tables> currentTables() const;
  void wake();

  const GuardOptions options_;
  VerdictSink& sink_;
  FanotifySource source_;
  IgnoreMarks ignoreMarks_;
  RuntimeStarts runtimeStarts_;  // runtime execs pause ignore marks until no container is pending
  // Held while ignore marks are added or cleared: a mark is added only under the tables it
  // was decided by, and tables whose rules differ take effect only after a clear.
  std::mutex ignoreMutex_;
  std::function<void()> pauseListener_;  // under ignoreMutex_
  PendingDecisions pending_;
  HashCache hashCache_;
  ExecCommitWatch commitWatch_;
  TablesBuilder builder_;  // JS thread only

  mutable std::mutex tablesMutex_;
  std::shared_ptr<const Tables> tables_;

  int wakeFd_ = -1;  // eventfd: tables changed or stopping
  std::atomic<bool> stopping_{false};
  // fanotify thread: since when it works on what it has in hand (a read, an event), 0 idle
  std::atomic<int64_t> busySinceNs_{0};
  std::thread fanotifyThread_, watchdogThread_, findingHasher_;
  std::vector<std::thread> hashThreads_;

  std::mutex workMutex_;
  std::condition_variable workReady_, findingReady_;
  std::deque<Work> workQueue_;                  // verdicts waiting for a digest: first
  std::deque<FindingHash> findingQueue_;        // findings waiting for theirs
  size_t findingsReserved_ = 0;                 // queued or being hashed
  uint64_t findingBytes_ = 0;                   // their sizes
  std::shared_ptr<SampleBudget> sampleBudget_;  // captured bytes on their way to JS

  std::mutex watchdogMutex_;
  std::condition_variable watchdogWake_;

  ProcessOwners owners_;  // fanotify thread only

  // [fanotify thread only] Image layer files already resolved, by (dev, ino).
  struct FileKey {
    uint64_t dev, ino;
    bool operator==(const FileKey&) const = default;
  };
  struct FileKeyHash {
    size_t operator()(const FileKey& k) const { return k.ino * 0x9E3779B97F4A7C15ull ^ k.dev; }
  };
  struct CachedImageFile {
    uint64_t generation;
    int64_t ctimeNs;
    std::string relPath;
  };
  static constexpr size_t kImageFileCacheEntries = 65536;
  std::unordered_map<FileKey, CachedImageFile, FileKeyHash> imageFiles_;

  mutable Counters counters_;
  bool started_ = false, stopped_ = false;
};

}  // namespace driftguard
