#include "guard/ExecGuard.hh"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "fanotify/EventFacts.hh"
#include "util/FileOps.hh"
#include "util/ProcInfo.hh"
#include "util/Sha256.hh"

namespace driftguard {

namespace {
int64_t monotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ExecGuard::ExecGuard(const GuardOptions& options, VerdictSink& sink)
    : options_(options),
      sink_(sink),
      pending_(source_.fd(), options.deadline, options.holdLimit),
      hashCache_(options.hashCacheEntries),
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
  fanotifyThread_ = std::thread(&ExecGuard::runFanotifyThread, this);
  watchdogThread_ = std::thread(&ExecGuard::runWatchdog, this);
  for (size_t i = 0; i < options_.hashWorkers; i++) hashThreads_.emplace_back(&ExecGuard::runHashWorker, this);
}

void ExecGuard::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_ = true;
  wake();
  watchdogWake_.notify_all();
  workReady_.notify_all();
  if (fanotifyThread_.joinable()) fanotifyThread_.join();
  if (watchdogThread_.joinable()) watchdogThread_.join();
  for (std::thread& t : hashThreads_) t.join();
  // Nothing is decided while shutting down: whatever is still pending gets the fail mode.
  pending_.answerAll(options_.failOpen);
  source_.close();
}

MarkInfo ExecGuard::markFilesystem(const std::string& path, bool keepDirFd, uint64_t expectDev) {
  return source_.markFilesystem(path, keepDirFd, expectDev);
}

void ExecGuard::unmarkFilesystem(uint64_t dev) {
  source_.unmarkFilesystem(dev);
}

void ExecGuard::applyTables(const TablesChange& change) {
  std::shared_ptr<const Tables> next = builder_.apply(change);
  {
    std::lock_guard<std::mutex> lock(tablesMutex_);
    tables_.swap(next);
  }
  // The old tables die here or when the last in-flight decision lets go of them.
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
      retryHeld();
    }
    if (fds[0].revents & POLLIN) readEvents();
  }
}

// [fanotify thread]
void ExecGuard::readEvents() {
  alignas(struct fanotify_event_metadata) static thread_local char buffer[16 * 1024];
  ssize_t length = read(source_.fd(), buffer, sizeof buffer);
  if (length <= 0) return;  // EAGAIN: the watchdog drained it
  auto* meta = reinterpret_cast<struct fanotify_event_metadata*>(buffer);
  for (; FAN_EVENT_OK(meta, length); meta = FAN_EVENT_NEXT(meta, length)) {
    if (meta->fd < 0) continue;  // queue overflow notice: permission events never overflow
    if (!(meta->mask & FAN_OPEN_EXEC_PERM)) {
      close(meta->fd);
      continue;
    }
    busySinceNs_ = monotonicNs();
    counters_.events++;
    uint64_t id = pending_.add(meta->fd, meta->pid);
    handleEvent(id, meta->fd, meta->pid);
  }
  busySinceNs_ = 0;
}

// [fanotify thread]
void ExecGuard::retryHeld() {
  for (const HeldEvent& held : pending_.takeHeld()) {
    busySinceNs_ = monotonicNs();
    handleEvent(held.id, held.eventFd, held.pid);
  }
  busySinceNs_ = 0;
}

// [fanotify thread] The fast paths answer here; the rest goes on to decideInContainer.
// Cheapest first: who runs it (one stat), then where the file lives (cached for image
// layers, a file handle lookup otherwise).
void ExecGuard::handleEvent(uint64_t id, int eventFd, int32_t pid) {
  Work work;
  work.id = id;
  work.eventFd = eventFd;
  work.start = Clock::now();
  if (!statEventFile(eventFd, pid, &work.facts)) {
    counters_.allowedHost++;
    allow(id, work.start);  // an event fd we cannot fstat: nothing to decide on
    return;
  }
  work.tables = currentTables();
  const Tables& tables = *work.tables;
  Owner owner = owners_.ownerOf(tables, pid);
  if (owner.kind == OwnerKind::Host) {
    counters_.allowedHost++;
    allow(id, work.start);
    return;
  }
  if (owner.kind == OwnerKind::Unattached) {
    // A container starting up: its own mounts (/run, /dev) may not be marked yet, so even
    // an image binary waits until the container is attached.
    holdOrAnswer(id, eventFd, pid);
    return;
  }
  Resolution resolution = resolveFile(tables, eventFd, &work.facts);
  work.where = resolution.where;
  switch (resolution.where) {
    case Where::Unknown:
      if (owner.kind == OwnerKind::Other) {
        // A container of a containerd namespace the agent does not watch: not ours to
        // judge, and holding it would only delay it until the deadline.
        counters_.allowedHost++;
        allow(id, work.start);
        return;
      }
      holdOrAnswer(id, eventFd, pid);  // a snapshot or volume of a container being attached
      return;
    case Where::WritableLayer:
      work.container = resolution.place->container.get();
      work.containerPath = std::move(resolution.relPath);
      decideInContainer(std::move(work));
      return;
    case Where::ImageLayer:
      if (owner.kind == OwnerKind::Container && !owner.container->policy.denyPathGlobs.empty()) {
        work.container = owner.container;  // an image binary the policy denies?
        work.containerPath = std::move(resolution.relPath);
        finish(work, nullptr);
        return;
      }
      counters_.allowedImage++;
      allow(id, work.start);
      return;
    case Where::Host:
    case Where::NoPath:
    case Where::Volume: break;
  }
  if (owner.kind != OwnerKind::Container) {
    counters_.allowedHost++;  // not the host's namespace, but no container either
    allow(id, work.start);
    return;
  }
  work.container = owner.container;
  fillViewPath(eventFd, &work.facts);
  work.containerPath = work.facts.viewPath;
  if (resolution.where == Where::Volume) {
    for (const VolumeUse& use : resolution.place->volumes) {
      if (use.container.get() != work.container || use.source.empty()) continue;
      work.containerPath = use.destination + resolution.relPath;
    }
  }
  decideInContainer(std::move(work));
}

// [fanotify thread] Image layer files are immutable: remember them by inode for the
// tables generation (a layer is removed only after its containers, which changes it).
Resolution ExecGuard::resolveFile(const Tables& tables, int eventFd, ExecFacts* facts) {
  FileKey key{facts->dev, facts->ino};
  auto cached = imageFiles_.find(key);
  if (cached != imageFiles_.end() && cached->second.generation == tables.generation &&
      cached->second.ctimeNs == facts->ctimeNs) {
    return {Where::ImageLayer, nullptr, cached->second.relPath};
  }
  fillRealPath(eventFd, source_, facts);
  Resolution resolution = tables.resolve(*facts);
  if (resolution.where == Where::ImageLayer) {
    if (imageFiles_.size() >= kImageFileCacheEntries) imageFiles_.clear();
    imageFiles_[key] = {tables.generation, facts->ctimeNs, resolution.relPath};
  }
  return resolution;
}

// [fanotify thread]
void ExecGuard::decideInContainer(Work&& work) {
  const ContainerTable& container = *work.container;
  if (container.policy.mode == Mode::Disabled) {
    counters_.allowedContainer++;
    allow(work.id, work.start);
    return;
  }
  if (work.where == Where::WritableLayer && !container.image && !container.baselineFailed) {
    holdOrAnswer(work.id, work.eventFd, work.facts.pid);  // baseline still being computed
    return;
  }
  std::optional<Sha256> cached = hashCache_.lookup(identityOf(work.facts));
  if (cached) {
    finish(work, &*cached);
    return;
  }
  // Hashing can take long (a big file, a slow disk): never on this thread.
  {
    std::lock_guard<std::mutex> lock(workMutex_);
    workQueue_.push_back(std::move(work));
  }
  workReady_.notify_one();
}

// [fanotify thread or hash worker]
void ExecGuard::finish(Work& work, const Sha256* digest) {
  const ContainerTable& container = *work.container;
  Candidate candidate;
  candidate.where = work.where;
  candidate.policy = &container.policy;
  candidate.containerPath = work.containerPath;
  candidate.digest = digest;
  if (work.where == Where::WritableLayer && container.image) {
    candidate.imageFile = container.image->find(work.containerPath);
    candidate.imageHasOtherPath = !candidate.imageFile && container.image->hasOtherPath(work.containerPath);
  }
  ProcessFacts process;
  if (container.policy.needsProcess() && work.where != Where::ImageLayer) {
    process = processFacts(work.facts.pid);  // the policy allows some programs to drift
    candidate.callerExe = process.exe;
    candidate.parentExe = process.parentExe;
  }
  Decision decision = judge(candidate);
  if (decision.verdict == Verdict::Allowed) {
    counters_.allowedContainer++;
    allow(work.id, work.start);
    return;
  }
  // Read the process before answering: after the answer it may be gone.
  VerdictRecord record = recordFor(work, decision, digest);
  bool answered = pending_.answer(work.id, decision.verdict != Verdict::Blocked);
  recordLatency(work.start);
  if (!answered) return;  // the watchdog answered first and reported it
  (decision.verdict == Verdict::Blocked ? counters_.blocked : counters_.audited)++;
  sink_.push(std::move(record));
}

void ExecGuard::allow(uint64_t id, Clock::time_point start) {
  pending_.answer(id, true);
  recordLatency(start);
}

// [fanotify thread]
void ExecGuard::holdOrAnswer(uint64_t id, int eventFd, int32_t pid) {
  counters_.heldTotal++;
  if (pending_.hold(id)) return;
  counters_.holdOverflow++;
  VerdictRecord record = failModeRecord(pid, pathOfFd(eventFd), Reason::HoldOverflow);
  if (pending_.answer(id, options_.failOpen)) sink_.push(std::move(record));
}

// A record for an exec answered with the fail mode rather than decided. Names the
// container when the process's cgroup says which one (it may still be unattached).
VerdictRecord ExecGuard::failModeRecord(int32_t pid, std::string path, Reason reason) const {
  VerdictRecord record;
  record.timeMs = wallClockMs();
  record.pid = pid;
  record.path = std::move(path);
  record.reason = reason;
  record.verdict = options_.failOpen ? Verdict::Audited : Verdict::Blocked;
  record.mode = options_.failOpen ? Mode::Audit : Mode::Enforce;
  ProcessFacts process = processFacts(pid);
  record.ppid = process.ppid;
  record.uid = process.uid;
  record.exe = std::move(process.exe);
  record.cmdline = std::move(process.cmdline);
  record.parentExe = std::move(process.parentExe);
  std::shared_ptr<const Tables> tables = currentTables();
  if (const ContainerTable* container = tables->containerByCgroupLeaf(cgroupOf(pid))) {
    record.containerId = container->id;
    record.policy = container->policy.name;
  }
  return record;
}

VerdictRecord ExecGuard::recordFor(const Work& work, const Decision& decision, const Sha256* digest) const {
  const ContainerTable& container = *work.container;
  VerdictRecord record;
  record.timeMs = wallClockMs();
  record.pid = work.facts.pid;
  ProcessFacts process = processFacts(work.facts.pid);
  record.ppid = process.ppid;
  record.uid = process.uid;
  record.exe = std::move(process.exe);
  record.cmdline = std::move(process.cmdline);
  record.parentExe = std::move(process.parentExe);
  record.containerId = container.id;
  record.path = work.containerPath;
  record.hostPath = work.facts.realPath.empty() ? work.facts.viewPath : work.facts.realPath;
  record.reason = decision.reason;
  record.verdict = decision.verdict;
  record.mode = container.policy.mode;
  record.policy = container.policy.name;
  if (digest != nullptr) {
    record.sha256Hex = hexOf(*digest);
    const std::string* original = container.image ? container.image->pathWithDigest(*digest) : nullptr;
    if (original != nullptr && *original != work.containerPath) record.copyOf = *original;
  }
  return record;
}

void ExecGuard::recordLatency(Clock::time_point start) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  size_t bucket = 0;
  while (bucket + 1 < kLatencyBuckets && (int64_t{1} << bucket) <= micros) bucket++;
  counters_.latency[bucket].fetch_add(1, std::memory_order_relaxed);
}

// [hash worker]
void ExecGuard::runHashWorker() {
  for (;;) {
    Work work;
    {
      std::unique_lock<std::mutex> lock(workMutex_);
      workReady_.wait(lock, [this] { return stopping_ || !workQueue_.empty(); });
      if (stopping_) return;  // queued events are answered by stop()
      work = std::move(workQueue_.front());
      workQueue_.pop_front();
    }
    HashResult hash = hashFd(work.eventFd, options_.maxHashBytes);
    if (hash.ok) {
      counters_.hashed++;
      hashCache_.insert(identityOf(work.facts), hash.digest);
      finish(work, &hash.digest);
    } else {
      counters_.hashErrors++;
      finish(work, nullptr);  // no digest: the file cannot be proven equal to the image
    }
  }
}

// [watchdog thread]
void ExecGuard::runWatchdog() {
  auto tick = std::clamp(options_.deadline / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(250));
  std::unique_lock<std::mutex> lock(watchdogMutex_);
  while (!stopping_) {
    watchdogWake_.wait_for(lock, tick);
    if (stopping_) break;
    pending_.expire(Clock::now(), options_.failOpen, [this](const ExpiredEvent& expired) {
      counters_.deadlineExceeded++;
      sink_.push(failModeRecord(expired.pid, expired.path, Reason::DeadlineExceeded));
    });
    drainStalled();
  }
}

// [watchdog thread] If the fanotify thread is stuck on one event past the deadline, the
// execs queued behind it would wait too: read and answer them here with the fail mode.
void ExecGuard::drainStalled() {
  int64_t busySince = busySinceNs_.load();
  if (busySince == 0 || monotonicNs() - busySince < options_.deadline.count() * 1000000ll) return;
  alignas(struct fanotify_event_metadata) char buffer[4096];
  ssize_t length;
  while ((length = read(source_.fd(), buffer, sizeof buffer)) > 0) {
    auto* meta = reinterpret_cast<struct fanotify_event_metadata*>(buffer);
    for (; FAN_EVENT_OK(meta, length); meta = FAN_EVENT_NEXT(meta, length)) {
      if (meta->fd < 0) continue;
      struct fanotify_response response = {meta->fd, static_cast<__u32>(options_.failOpen ? FAN_ALLOW : FAN_DENY)};
      ssize_t ignored = write(source_.fd(), &response, sizeof response);
      (void)ignored;
      VerdictRecord record = failModeRecord(meta->pid, pathOfFd(meta->fd), Reason::DeadlineExceeded);
      close(meta->fd);
      counters_.stalledDrained++;
      sink_.push(std::move(record));
    }
  }
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
  s.hashCacheHits = hashCache_.hits();
  s.hashCacheMisses = hashCache_.misses();
  s.pendingNow = pending_.size();
  s.heldNow = pending_.heldCount();
  s.marks = source_.markCount();
  std::shared_ptr<const Tables> tables = currentTables();
  s.tablesGeneration = tables->generation;
  s.containers = tables->containers.size();
  s.images = builder_.imageCount();
  s.ownerByCgroupId = owners_.byCgroupId();
  for (size_t i = 0; i < kLatencyBuckets; i++) s.latencyMicrosLog2[i] = counters_.latency[i];
  return s;
}

}  // namespace driftguard
