// ExecGuard's hashing: the hash workers prove the content of files whose verdict needs
// it; the finding hasher hashes drift for its finding after the answer. Every hash reads
// only the bytes the event's fstat promised. [hash worker, except where noted]
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fanotify/EventFacts.hh"
#include "guard/ExecGuard.hh"
#include "util/FileLease.hh"
#include "util/Sha256.hh"

namespace driftguard {

namespace {
// A write in the same tick of the coarse clock as the last change leaves mtime and ctime
// as they were: a file changed within a few ticks before the hash started may change again
// unseen, so its digest is used once and not cached.
int64_t racyMarginNs() {
  static const int64_t margin = [] {
    struct timespec res = {};
    clock_getres(CLOCK_REALTIME_COARSE, &res);
    return std::max<int64_t>(4 * (res.tv_sec * 1000000000ll + res.tv_nsec), 4000000);
  }();
  return margin;
}

int64_t realtimeNs() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return now.tv_sec * 1000000000ll + now.tv_nsec;
}

// The file as its fstat shows it now is the one the event promised (same inode, size, times).
bool unchanged(int fd, const FileIdentity& identity) {
  ExecFacts now;
  return statEventFile(fd, 0, &now) && identityOf(now) == identity;
}

// Changed within a few coarse ticks before startNs: a write in the same tick would not show.
bool racy(const FileIdentity& identity, int64_t startNs) {
  return std::max(identity.mtimeNs, identity.ctimeNs) >= startNs - racyMarginNs();
}
}  // namespace

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
    proveByHash(work);
  }
}

// [finding hasher] A thread of its own, at a lower priority: a verdict never waits behind
// a finding's digest.
void ExecGuard::runFindingHasher() {
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);  // this thread only (Linux)
  for (;;) {
    FindingHash job;
    {
      std::unique_lock<std::mutex> lock(workMutex_);
      findingReady_.wait(lock, [this] { return stopping_ || !findingQueue_.empty(); });
      if (stopping_) return;  // queued findings are sent without a digest by stop()
      job = std::move(findingQueue_.front());
      findingQueue_.pop_front();
    }
    hashForFinding(job);
  }
}

// The lease taken on the fanotify thread is still held: no writer can have started since.
// fstat before and after tells whether the file changed anyway.
void ExecGuard::proveByHash(Work& work) {
  if (pending_.forgetIfAnswered(work.id)) return;  // past the hash deadline: answered unverified
  const FileIdentity identity = identityOf(work.facts);
  int64_t startNs = realtimeNs();
  HashResult hash;
  if (unchanged(work.eventFd, identity) && identity.size <= options_.maxHashBytes) {
    hash = hashFdExactly(work.eventFd, identity.size);
  }
  if (!hash.ok || !unchanged(work.eventFd, identity)) {
    counters_.hashErrors++;
    conclude(work, nullptr, true);
    return;
  }
  counters_.hashed++;
  cacheProven(identity, hash.digest, startNs);
  conclude(work, &hash.digest, false);
}

// A digest hashed while the file had no writer and unchanged from start to end.
void ExecGuard::cacheProven(const FileIdentity& identity, const Sha256& digest, int64_t hashStartNs) {
  if (racy(identity, hashStartNs)) {
    counters_.racyNotCached++;
  } else {
    hashCache_.insert(identity, digest);
  }
}

// [fanotify thread or hash worker]
void ExecGuard::queueFindingHash(FindingHash&& job) {
  {
    std::lock_guard<std::mutex> lock(workMutex_);
    findingQueue_.push_back(std::move(job));
  }
  findingReady_.notify_one();
}

// [finding hasher] The finding's digest, after the answer, from the bytes the size
// promised. Under a read lease and unchanged, it is proven and cached for later execs.
void ExecGuard::hashForFinding(FindingHash& job) {
  if (job.capture) return captureForFinding(job);
  int error = 0;
  bool leased = takeReadLease(job.fd, &error) == LeaseResult::Held;
  int64_t startNs = realtimeNs();
  HashResult hash = hashFdExactly(job.fd, job.identity.size);
  bool proven = leased && hash.ok && unchanged(job.fd, job.identity);
  close(job.fd);  // the last descriptor of that open file: the lease goes with it
  job.fd = -1;
  releaseFindingHash(job.identity.size);
  if (hash.ok) {
    counters_.findingHashes++;
    if (proven) cacheProven(job.identity, hash.digest, startNs);
    fillDigest(job.record, *job.container, hash.digest, job.imageFile);
  } else {
    counters_.hashErrors++;
  }
  sink_.push(std::move(job.record));
}

// [finding hasher] The sample: the bytes the size promised, read through the event's own
// open file (never a path a container could swap), hashed while read. They are kept only
// if they hash to the finding's digest (when it was known before the answer, a mismatch
// means the file changed since); with no digest known, theirs becomes the finding's.
void ExecGuard::captureForFinding(FindingHash& job) {
  VerdictRecord& record = job.record;
  auto sample = sampleBudget_->take(job.identity.size) ? std::make_shared<SampleBytes>(sampleBudget_, job.identity.size)
                                                       : nullptr;
  HashResult hash =
      sample ? hashFdExactlyInto(job.fd, job.identity.size, &sample->bytes) : hashFdExactly(job.fd, job.identity.size);
  close(job.fd);
  job.fd = -1;
  releaseFindingHash(job.identity.size);
  if (!hash.ok) {
    counters_.hashErrors++;
    record.capture = Capture::Unreadable;
  } else {
    counters_.findingHashes++;
    if (!job.known) fillDigest(record, *job.container, hash.digest, job.imageFile);
    if (job.known && *job.known != hash.digest) {
      record.capture = Capture::Changed;
    } else if (!sample) {
      record.capture = Capture::Busy;
    } else {
      record.sample = std::move(sample);
    }
  }
  sink_.push(std::move(record));
}

// [JS thread, stop, after the workers ended] Findings still waiting go without a digest.
void ExecGuard::flushFindingHashes() {
  std::deque<FindingHash> left;
  {
    std::lock_guard<std::mutex> lock(workMutex_);
    left.swap(findingQueue_);
  }
  for (FindingHash& job : left) {
    close(job.fd);
    if (job.capture) job.record.capture = Capture::Busy;
    releaseFindingHash(job.identity.size);
    counters_.findingHashesSkipped++;
    sink_.push(std::move(job.record));
  }
}

}  // namespace driftguard
