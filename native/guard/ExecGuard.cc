// ExecGuard: its threads and their lifecycle (fanotify thread loop, stop), table swaps and
// stats. The decision path is in ExecGuardDecide.cc and ExecGuardVerdict.cc, hashing in
// ExecGuardHash.cc, the watchdog in ExecGuardWatchdog.cc.
#include "guard/ExecGuard.hh"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fanotify/EventFacts.hh"
#include "guard/Clocks.hh"
#include "util/BoundedProcRead.hh"
#include "util/FileLease.hh"

namespace driftguard {

ExecGuard::ExecGuard(const GuardOptions& options, VerdictSink& sink)
    : options_(options),
      sink_(sink),
      ignoreMarks_(source_, options.ignoreMarkLimit),
      runtimeStarts_(source_, options.ignoreMarksStartPaused),
      pending_(source_.fd(), options.deadline, options.hashDeadline, options.holdLimit),
      hashCache_(options.hashCacheEntries),
      commitWatch_(options.commitHoldMax, 4096),
      sampleBudget_(std::make_shared<SampleBudget>(options.sampleBytesInFlight)),
      owners_(options.processIdentityByNamespace) {
  wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) throw std::runtime_error(std::string("eventfd: ") + strerror(errno));
  tables_ = builder_.apply(TablesChange{});
}

ExecGuard::~ExecGuard() {
  stop();
  if (wakeFd_ >= 0) close(wakeFd_);
}

void ExecGuard::start() {
  if (started_) return;
  started_ = true;
  makeLeaseBreakSignalHarmless();  // before the first lease: a writer's open would kill us
  commitWatch_.start();
  fanotifyThread_ = std::thread(&ExecGuard::runFanotifyThread, this);
  watchdogThread_ = std::thread(&ExecGuard::runWatchdog, this);
  for (size_t i = 0; i < options_.hashWorkers; i++) hashThreads_.emplace_back(&ExecGuard::runHashWorker, this);
  findingHasher_ = std::thread(&ExecGuard::runFindingHasher, this);
}

void ExecGuard::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  wake();
  watchdogWake_.notify_all();
  {
    std::lock_guard<std::mutex> lock(workMutex_);  // no worker between its check and its wait
  }
  workReady_.notify_all();
  findingReady_.notify_all();
  if (fanotifyThread_.joinable()) fanotifyThread_.join();
  if (watchdogThread_.joinable()) watchdogThread_.join();
  for (std::thread& t : hashThreads_) t.join();
  if (findingHasher_.joinable()) findingHasher_.join();
  // Nothing is decided while shutting down: whatever is still pending gets the fail mode.
  pending_.answerAll(options_.failOpen);
  flushFindingHashes();
  commitWatch_.stop();
  source_.close();
}

MarkInfo ExecGuard::markFilesystem(const std::string& path, bool keepDirFd, uint64_t expectDev) {
  return source_.markFilesystem(path, keepDirFd, expectDev);
}

void ExecGuard::unmarkFilesystem(uint64_t dev) {
  source_.unmarkFilesystem(dev);
}

void ExecGuard::applyTables(const TablesChange& change) {
  swapTables(builder_.apply(change));
  wake();  // held execs may belong to what just arrived
}

std::shared_ptr<const Tables> ExecGuard::currentTables() const {
  std::lock_guard<std::mutex> lock(tablesMutex_);
  return tables_;
}

void ExecGuard::wake() {
  uint64_t one = 1;
  ssize_t ignored = write(wakeFd_, &one, sizeof one);
  (void)ignored;
}

// [fanotify thread]
void ExecGuard::runFanotifyThread() {
  struct pollfd fds[2] = {{source_.fd(), POLLIN, 0}, {wakeFd_, POLLIN, 0}};
  while (!stopping_) {
    if (poll(fds, 2, -1) < 0) continue;  // EINTR
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      ssize_t ignored = read(wakeFd_, &count, sizeof count);
      (void)ignored;
      if (stopping_) break;
      owners_.tablesChanged(currentTables()->generation);
      retryHeld();
    }
    if (fds[0].revents & POLLIN) readEvents();
  }
}

// [fanotify thread] Every event of a read is registered before any is decided: its
// deadline runs from now, and the watchdog answers it even if an earlier one stalls us.
void ExecGuard::readEvents() {
  alignas(struct fanotify_event_metadata) static thread_local char buffer[16 * 1024];
  struct Read {
    uint64_t id;
    int fd;
    int32_t pid;
  };
  static thread_local std::vector<Read> batch;
  // A read that blocks (the kernel opens each event's file for us) is a stall too.
  busySinceNs_ = monotonicNs();
  ssize_t length = ::read(source_.fd(), buffer, sizeof buffer);
  batch.clear();
  auto* meta = reinterpret_cast<struct fanotify_event_metadata*>(buffer);
  for (; length > 0 && FAN_EVENT_OK(meta, length); meta = FAN_EVENT_NEXT(meta, length)) {
    if (meta->fd < 0) continue;  // queue overflow notice: permission events never overflow
    if (!(meta->mask & FAN_OPEN_EXEC_PERM)) {
      close(meta->fd);
      continue;
    }
    counters_.events++;
    batch.push_back({pending_.add(meta->fd, meta->pid), meta->fd, meta->pid});
  }
  for (const Read& event : batch) {
    busySinceNs_ = monotonicNs();
    if (pending_.forgetIfAnswered(event.id)) continue;  // the watchdog answered while we were busy
    handleEvent(event.id, event.fd, event.pid);
  }
  busySinceNs_ = 0;  // EAGAIN (length < 0): the watchdog drained it
}

// [fanotify thread]
void ExecGuard::retryHeld() {
  for (const HeldEvent& held : pending_.takeHeld()) {
    busySinceNs_ = monotonicNs();
    handleEvent(held.id, held.eventFd, held.pid);
  }
  busySinceNs_ = 0;
}

GuardStats ExecGuard::stats() const {
  GuardStats s;
  s.events = counters_.events;
  s.allowedHost = counters_.allowedHost;
  s.allowedImage = counters_.allowedImage;
  s.allowedContainer = counters_.allowedContainer;
  s.blocked = counters_.blocked;
  s.audited = counters_.audited;
  s.heldTotal = counters_.heldTotal;
  s.holdOverflow = counters_.holdOverflow;
  s.deadlineExceeded = counters_.deadlineExceeded;
  s.hashed = counters_.hashed;
  s.hashErrors = counters_.hashErrors;
  s.stalledDrained = counters_.stalledDrained;
  s.procReadsAbandoned = procReadsAbandoned();  // process-wide: the sensor's and tracker's too
  s.unverified = counters_.unverified;
  s.leaseRefused = counters_.leaseRefused;
  s.canaryRefused = counters_.canaryRefused;
  s.racyNotCached = counters_.racyNotCached;
  s.commitHolds = commitWatch_.held();
  s.commitHoldTimeouts = commitWatch_.timedOut();
  s.findingHashes = counters_.findingHashes;
  s.findingHashesSkipped = counters_.findingHashesSkipped;
  s.hashCacheHits = hashCache_.hits();
  s.hashCacheMisses = hashCache_.misses();
  s.pendingNow = pending_.size();
  s.heldNow = pending_.heldCount();
  s.marks = source_.markCount();
  IgnoreMarkStats ignore = ignoreMarks_.stats();
  s.ignoreMarks = ignore.now;
  s.ignoreMarksAdded = ignore.added;
  s.ignoreMarkEvictions = ignore.evictions;
  s.ignoreMarkFlushes = ignore.flushes;
  s.ignoreMarkFailures = ignore.failures + counters_.ignoreFlushFailed;
  s.ignoreMarkLimit = ignore.limit;
  StartPauseState pause = runtimeStarts_.state();
  s.ignoreMarksPaused = pause.paused;
  s.ignoreMarkPauses = pause.pauses;
  s.ignoreMarkResumes = pause.resumes;
  s.runtimeExecs = pause.runtimeExecs;
  s.runtimesWatched = pause.runtimesWatched;
  std::shared_ptr<const Tables> tables = currentTables();
  s.tablesGeneration = tables->generation;
  s.containers = tables->containers.size();
  s.images = builder_.imageCount();
  s.ownerByCgroupId = owners_.byCgroupId();
  for (size_t i = 0; i < kLatencyBuckets; i++) s.latencyMicrosLog2[i] = counters_.latency[i];
  return s;
}

}  // namespace driftguard
