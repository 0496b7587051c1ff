#include "guard/ExecCommitWatch.hh"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "util/FileLease.hh"

namespace driftguard {

namespace {
// An exec commits within a few hundred microseconds of its answer: checking earlier only
// takes CPU from it on a small node.
constexpr std::chrono::microseconds kFirstCheck{200}, kLongestInterval{5000};
}  // namespace

ExeIdentity exeIdentityOf(int32_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  struct stat st;
  if (stat(path, &st) != 0) return {};
  return {true, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}

ExecCommitWatch::ExecCommitWatch(std::chrono::microseconds maxHold, size_t capacity)
    : maxHold_(maxHold), capacity_(capacity) {}

ExecCommitWatch::~ExecCommitWatch() {
  stop();
}

void ExecCommitWatch::start() {
  if (!thread_.joinable()) thread_ = std::thread(&ExecCommitWatch::run, this);
}

void ExecCommitWatch::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (; !holds_.empty(); holds_.pop()) release(holds_.top());
}

void ExecCommitWatch::release(const Hold& hold) {
  releaseLease(hold.fd);
  close(hold.fd);
}

void ExecCommitWatch::hold(int leaseFd, int32_t pid, ExeIdentity before) {
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || !before.ok) {
      release({leaseFd, pid, before, now, now, kFirstCheck});
      return;
    }
    if (holds_.size() >= capacity_) {
      // Only under a flood no node sees (capacity execs within maxHold): the hold that was
      // due first lets go early rather than the lease table growing without bound.
      release(holds_.top());
      holds_.pop();
      evicted_++;
    }
    holds_.push({leaseFd, pid, before, now + kFirstCheck, now + maxHold_, kFirstCheck});
    held_++;
  }
  changed_.notify_one();
}

// [commit watch thread]
void ExecCommitWatch::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (holds_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto due = holds_.top().next;
    if (std::chrono::steady_clock::now() < due) {
      changed_.wait_until(lock, due);
      continue;
    }
    Hold hold = holds_.top();
    holds_.pop();
    lock.unlock();
    ExeIdentity now = exeIdentityOf(hold.pid);  // a /proc lookup: not under the lock
    auto at = std::chrono::steady_clock::now();
    bool committed = !now.ok || !(now == hold.before);
    bool expired = at >= hold.until;
    if (committed || expired) {
      if (!committed) timedOut_++;
      release(hold);
      lock.lock();
      continue;
    }
    hold.interval = std::min(hold.interval * 2, kLongestInterval);
    hold.next = std::min(at + hold.interval, hold.until);
    lock.lock();
    holds_.push(hold);
  }
}

}  // namespace driftguard
