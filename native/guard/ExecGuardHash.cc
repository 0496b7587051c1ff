// ExecGuard's hashing: the hash workers prove the content of files whose verdict needs
// it; the finding hasher hashes drift for its finding after the answer. Every hash reads
// only the bytes the event's fstat promised. [hash worker, except where noted]
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fanotify/EventFacts.hh"
#include "guard/ExecGuard.hh"
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
bool unchanged(int fd, const ExecFacts& facts) {
  ExecFacts now;
  return statEventFile(fd, facts.pid, &now) && identityOf(now) == identityOf(facts);
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
  const ExecFacts& facts = work.facts;
  int64_t startNs = realtimeNs();
  bool same = unchanged(work.eventFd, facts);
  HashResult hash;
  if (same && facts.size <= options_.maxHashBytes) hash = hashFdExactly(work.eventFd, facts.size);
  if (!hash.ok || !unchanged(work.eventFd, facts)) {
    counters_.hashErrors++;
    conclude(work, nullptr, true);
    return;
  }
  counters_.hashed++;
  if (std::max(facts.mtimeNs, facts.ctimeNs) >= startNs - racyMarginNs()) {
    counters_.racyNotCached++;
  } else {
    hashCache_.insert(identityOf(facts), hash.digest);
  }
  conclude(work, &hash.digest, false);
}

// [fanotify thread or hash worker]
void ExecGuard::queueFindingHash(FindingHash&& job) {
  {
    std::lock_guard<std::mutex> lock(workMutex_);
    findingQueue_.push_back(std::move(job));
  }
  findingReady_.notify_one();
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
    releaseFindingHash(job.size);
    counters_.findingHashesSkipped++;
    sink_.push(std::move(job.record));
  }
}

}  // namespace driftguard
