// The verdict of ExecGuard's decision path and what follows it: the answer, the record
// (read before answering: after it the process may be gone), the lease kept until the
// exec committed, the digest for the finding queued after the answer. [fanotify thread or
// hash worker]
#include <fcntl.h>
#include <unistd.h>

#include "guard/Clocks.hh"
#include "guard/ExecGuard.hh"
#include "util/FileLease.hh"
#include "util/ProcInfo.hh"
#include "util/Sha256.hh"

namespace driftguard {

// "sha256" and "copy of" of a record, and for a copy with the size of a non-executable
// image file, which of made_executable and modified it is.
void ExecGuard::fillDigest(VerdictRecord& record, const ContainerTable& container, const Sha256& digest,
                           const ImageFile* imageFile) {
  record.sha256Hex = hexOf(digest);
  const std::string* original = container.image ? container.image->pathWithDigest(digest) : nullptr;
  if (original != nullptr && *original != record.path) record.copyOf = *original;
  if (record.reason == Reason::MadeExecutable && imageFile != nullptr && imageFile->hashed &&
      digest != imageFile->sha) {
    record.reason = Reason::Modified;
  }
}

Candidate ExecGuard::candidateFor(const Work& work) const {
  const ContainerTable& container = *work.container;
  Candidate candidate;
  candidate.where = work.where;
  candidate.policy = &container.policy;
  candidate.containerPath = work.containerPath;
  candidate.size = work.facts.size;
  candidate.callerProgram = work.callerProgram;
  if (work.where == Where::WritableLayer) {
    // No baseline (still computed, failed, over its budget): nothing here is provable.
    candidate.imageUnknown = !container.image;
    if (container.image) {
      candidate.imageFile = container.image->find(work.containerPath);
      candidate.imageHasOtherPath = !candidate.imageFile && container.image->hasOtherPath(work.containerPath);
    }
  }
  return candidate;
}

ContainerFallback ExecGuard::fallbackFor(const Work& work) const {
  const ContainerTable& container = *work.container;
  return {container.policy.mode != Mode::Enforce,
          container.id,
          container.policy.name,
          work.containerPath,
          work.facts.realPath.empty() ? work.facts.viewPath : work.facts.realPath,
          processFacts(work.facts.pid)};
}

// digest: proven (no writer while it was taken, or cached for this identity);
// digestUnavailable: the verdict needed one and none could be proven.
void ExecGuard::conclude(Work& work, const Sha256* digest, bool digestUnavailable) {
  Candidate candidate = candidateFor(work);
  candidate.digest = digest;
  candidate.digestUnavailable = digestUnavailable;
  Decision decision = judge(candidate);
  if (decision.verdict == Verdict::Allowed) {
    bool proven = digest != nullptr && work.leased;
    if (!proven) {
      counters_.allowedContainer++;
      allow(work.id, work.start);
      return;
    }
    if (keepLeaseUntilCommit(work)) return;
    // Without the lease the content is proven no longer.
    digest = candidate.digest = nullptr;
    candidate.digestUnavailable = true;
    decision = judge(candidate);
    if (decision.verdict == Verdict::Allowed) {
      counters_.allowedContainer++;
      allow(work.id, work.start);
      return;
    }
  }
  if (work.leased) releaseLease(work.eventFd);  // drift: nothing was proven that must stay true
  // The digest for the finding: the verdict's, a cached one, or one computed after the answer.
  std::optional<Sha256> known = digest != nullptr ? std::optional<Sha256>(*digest) : cachedDigestForFinding(work);
  VerdictRecord record = recordFor(work, decision, known ? &*known : nullptr, candidate.imageFile);
  record.capture = captureFor(work);
  bool capture = record.capture == Capture::Captured;  // to be read after the answer
  int findingFd = (!known || capture) && work.where != Where::ImageLayer ? reserveFindingHash(work) : -1;
  if (capture && findingFd < 0) record.capture = Capture::Busy;
  bool answered = pending_.answer(work.id, decision.verdict != Verdict::Blocked);
  recordLatency(work.start);
  if (!answered) {  // the watchdog answered first and reported it
    if (findingFd >= 0) {
      close(findingFd);
      releaseFindingHash(work.facts.size);
    }
    return;
  }
  if (decision.reason == Reason::Unverified) counters_.unverified++;
  (decision.verdict == Verdict::Blocked ? counters_.blocked : counters_.audited)++;
  if (findingFd < 0) {
    sink_.push(std::move(record));
    return;
  }
  queueFindingHash({std::move(record), findingFd, identityOf(work.facts), work.tables, work.container,
                    candidate.imageFile, known, capture});
}

// Whether a drift exec's file is to be captured: its container's policy captures, it is not
// an image file (the image holds it already), and it fits the policy's maxBytes.
Capture ExecGuard::captureFor(const Work& work) const {
  uint64_t maxBytes = work.container->policy.captureMaxBytes;
  if (maxBytes == 0 || work.where == Where::ImageLayer) return Capture::Off;
  return work.facts.size <= maxBytes ? Capture::Captured : Capture::TooLarge;
}

// A cached digest of the exec's file, trusted only while the file has no writer (a read
// lease): otherwise its content may no longer be what was hashed. [fanotify thread or hash
// worker]
std::optional<Sha256> ExecGuard::cachedDigestForFinding(Work& work) {
  if (work.where == Where::ImageLayer) return std::nullopt;
  int error = 0;
  if (!work.leased && takeReadLease(work.eventFd, &error) != LeaseResult::Held) return std::nullopt;
  std::optional<Sha256> cached = hashCache_.lookup(identityOf(work.facts));
  if (!work.leased) releaseLease(work.eventFd);
  return cached;
}

// The lease moves to the commit watch with a second descriptor of the event's open file
// (answering closes the first). False if that is impossible: then nothing closes the
// window between the answer and the exec's own write denial, and the exec is unverified.
bool ExecGuard::keepLeaseUntilCommit(Work& work) {
  int leaseFd = fcntl(work.eventFd, F_DUPFD_CLOEXEC, 0);
  if (leaseFd < 0) return false;
  ExeIdentity before = exeIdentityOf(work.facts.pid);  // before the answer: the caller's program
  if (pending_.answer(work.id, true)) {
    counters_.allowedContainer++;
    commitWatch_.hold(leaseFd, work.facts.pid, before);
  } else {
    close(leaseFd);  // the watchdog answered (unverified) and reported it
  }
  recordLatency(work.start);
  work.leased = false;
  return true;
}

// A second descriptor for hashing the file after the answer, or -1 (the finding then goes
// without a digest, counted) when too many findings or bytes already wait: at most
// findingHashQueue findings and one hash limit of bytes, so a flood of padded payloads
// costs one thread a bounded time.
int ExecGuard::reserveFindingHash(const Work& work) {
  {
    std::lock_guard<std::mutex> lock(workMutex_);
    if (findingsReserved_ >= options_.findingHashQueue || work.facts.size > options_.maxHashBytes - findingBytes_) {
      counters_.findingHashesSkipped++;
      return -1;
    }
    findingsReserved_++;
    findingBytes_ += work.facts.size;
  }
  int fd = fcntl(work.eventFd, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) releaseFindingHash(work.facts.size);
  return fd;
}

void ExecGuard::releaseFindingHash(uint64_t size) {
  std::lock_guard<std::mutex> lock(workMutex_);
  findingsReserved_--;
  findingBytes_ -= size;
}

void ExecGuard::allow(uint64_t id, Clock::time_point start) {
  pending_.answer(id, true);
  recordLatency(start);
}

VerdictRecord ExecGuard::recordFor(const Work& work, const Decision& decision, const Sha256* digest,
                                   const ImageFile* imageFile) const {
  const ContainerTable& container = *work.container;
  VerdictRecord record;
  record.timeMs = wallClockMs();
  record.pid = work.facts.pid;
  ProcessFacts process = processFacts(work.facts.pid);
  record.ppid = process.ppid;
  record.uid = process.uid;
  record.exe = std::move(process.exe);
  record.cmdline = std::move(process.cmdline);
  record.cmdlineUnread = process.cmdlineUnread;
  record.parentExe = std::move(process.parentExe);
  record.containerId = container.id;
  record.path = work.containerPath;
  record.hostPath = work.facts.realPath.empty() ? work.facts.viewPath : work.facts.realPath;
  record.reason = decision.reason;
  record.verdict = decision.verdict;
  record.mode = container.policy.mode;
  record.policy = container.policy.name;
  if (digest != nullptr) fillDigest(record, container, *digest, imageFile);
  return record;
}

void ExecGuard::recordLatency(Clock::time_point start) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  size_t bucket = 0;
  while (bucket + 1 < kLatencyBuckets && (int64_t{1} << bucket) <= micros) bucket++;
  counters_.latency[bucket].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace driftguard
