// The per-exec decision path of ExecGuard: who runs it, where the file lives, the
// verdict, the answer. Runs on the fanotify thread, except finish() which a hash worker
// also calls once it has the digest.
#include <sys/fanotify.h>
#include <unistd.h>

#include "fanotify/EventFacts.hh"
#include "guard/Clocks.hh"
#include "guard/ExecGuard.hh"
#include "util/FileOps.hh"
#include "util/ProcInfo.hh"

namespace driftguard {

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

}  // namespace driftguard
