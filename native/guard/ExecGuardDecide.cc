// The per-exec decision path of ExecGuard up to the verdict: who runs it, where the file
// lives, and what the verdict needs (the caller, a proven digest). [fanotify thread]
#include <sys/fanotify.h>
#include <unistd.h>

#include "fanotify/EventFacts.hh"
#include "guard/CallerProgram.hh"
#include "guard/ExecGuard.hh"
#include "util/FileLease.hh"
#include "util/FileOps.hh"

namespace driftguard {

// [fanotify thread] The fast paths answer here; the rest goes on to decideInContainer.
// Cheapest first: who runs it (a host process is answered without even an fstat of the
// file when there is no canary: read, owner, write, close), then where the file lives
// (cached for image layers, a file handle lookup otherwise).
void ExecGuard::handleEvent(uint64_t id, int eventFd, int32_t pid) {
  Work work;
  work.id = id;
  work.eventFd = eventFd;
  work.start = Clock::now();
  work.tables = currentTables();
  const Tables& tables = *work.tables;
  Owner owner = owners_.ownerOf(tables, pid);
  // The canary is exec'd by the agent, a host process when it runs on the host: with a
  // canary, host execs need the fstat too (its device is what tells the canary).
  // With ignore marks, every exec's file is looked at: one of the runtime binaries pauses them.
  bool runtimeWatched = ignoreMarks_.enabled() && runtimeStarts_.watching();
  bool needsFile = owner.kind != OwnerKind::Host || tables.canaryDev != 0 || runtimeWatched;
  if (needsFile && !statEventFile(eventFd, pid, &work.facts)) {
    if (runtimeWatched) pauseForRuntime();  // it might have been the runtime
    counters_.allowedHost++;                // an event fd we cannot fstat: nothing to decide on
    allow(id, work.start);
    return;
  }
  if (runtimeWatched && runtimeStarts_.isRuntime(work.facts.dev, work.facts.ino)) pauseForRuntime();
  if (tables.canaryDev != 0 && work.facts.dev == tables.canaryDev) {
    counters_.canaryRefused++;  // the agent's own proof that it refuses: no finding
    pending_.answer(id, false);
    recordLatency(work.start);
    return;
  }
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
  const ContainerTable* ownerTable = owner.kind == OwnerKind::Container ? owner.container : nullptr;
  Resolution resolution = resolveFile(tables, eventFd, &work.facts, ownerTable);
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
      if (owner.kind == OwnerKind::Container && matchesAny(tables.denyPathGlobsAnyPolicy, resolution.relPath) &&
          !owner.container->policy.denyPathGlobs.empty()) {
        work.container = owner.container;  // an image binary the policy denies?
        work.containerPath = std::move(resolution.relPath);
        conclude(work, nullptr, false);
        return;
      }
      allowImageFile(work, resolution.relPath);
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
Resolution ExecGuard::resolveFile(const Tables& tables, int eventFd, ExecFacts* facts, const ContainerTable* owner) {
  FileKey key{facts->dev, facts->ino};
  auto cached = imageFiles_.find(key);
  if (cached != imageFiles_.end() && cached->second.generation == tables.generation &&
      cached->second.ctimeNs == facts->ctimeNs) {
    return {Where::ImageLayer, nullptr, cached->second.relPath};
  }
  fillRealPath(eventFd, source_, facts);
  Resolution resolution = tables.resolve(*facts, owner);
  if (resolution.where == Where::ImageLayer) {
    if (imageFiles_.size() >= kImageFileCacheEntries) imageFiles_.clear();
    imageFiles_[key] = {tables.generation, facts->ctimeNs, resolution.relPath};
  }
  return resolution;
}

// [fanotify thread] Path and size decide first. Only a verdict the content can change
// waits for a digest, and only a digest of a file that nobody can write proves anything:
// a writer (even a MAP_SHARED mapping whose fd was closed) may change it the moment after.
void ExecGuard::decideInContainer(Work&& work) {
  const ContainerTable& container = *work.container;
  if (container.policy.mode == Mode::Disabled) {
    counters_.allowedContainer++;
    allow(work.id, work.start);
    return;
  }
  if (work.where == Where::WritableLayer && !container.image && !container.baselineFailed) {
    holdOrAnswer(work.id, work.eventFd, work.facts.pid, &work);  // baseline still being computed
    return;
  }
  Candidate candidate = candidateFor(work);
  if (verdictNeedsCaller(candidate)) {
    work.callerProgram = callerImageProgram(container, work.tables->hostRootPrefix, work.facts.pid);
    candidate.callerProgram = work.callerProgram;
  }
  if (!verdictNeedsDigest(candidate)) {
    conclude(work, nullptr, false);
    return;
  }
  int error = 0;
  if (takeReadLease(work.eventFd, &error) != LeaseResult::Held) {
    counters_.leaseRefused++;  // a writer (EAGAIN), or no right to a lease (EACCES)
    conclude(work, nullptr, true);
    return;
  }
  work.leased = true;
  std::optional<Sha256> cached = hashCache_.lookup(identityOf(work.facts));
  if (cached) {
    conclude(work, &*cached, false);
    return;
  }
  // Hashing can take long (a big file, a slow disk): never on this thread. If it takes
  // longer than the hash deadline, the container's policy answers (unverified).
  pending_.setFallback(work.id, fallbackFor(work));
  {
    std::lock_guard<std::mutex> lock(workMutex_);
    workQueue_.push_back(std::move(work));
  }
  workReady_.notify_one();
}

// [fanotify thread] known: the exec's container is attached and only its baseline is
// missing; its policy answers at the hash deadline (unverified), not the fail mode.
void ExecGuard::holdOrAnswer(uint64_t id, int eventFd, int32_t pid, Work* known) {
  counters_.heldTotal++;
  if (known != nullptr) pending_.setFallback(id, fallbackFor(*known));
  if (pending_.hold(id)) return;
  counters_.holdOverflow++;
  if (known != nullptr) {
    conclude(*known, nullptr, true);
    return;
  }
  VerdictRecord record = failModeRecord(pid, pathOfFd(eventFd), Reason::HoldOverflow);
  if (pending_.answer(id, options_.failOpen)) sink_.push(std::move(record));
}

}  // namespace driftguard
