#include "guard/RuntimeStarts.hh"

#include <fcntl.h>
#include <poll.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "guard/Clocks.hh"

namespace driftguard {

namespace {
// A runtime process lives for milliseconds; one we cannot follow (no pidfd) is waited for
// this long instead.
constexpr int64_t kUntrackedWaitNs = 5'000'000'000;
}  // namespace

RuntimeStarts::~RuntimeStarts() {
  for (const Watched& w : watched_) close(w.fd);
  for (int fd : runtimePidfds_) close(fd);
}

bool RuntimeStarts::markInode(int fd) const {
  // fanotify_mark takes no O_PATH fd as its object, but resolves the /proc/self/fd link.
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  return fanotify_mark(source_.fd(), FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, link.c_str()) == 0;
}

size_t RuntimeStarts::watch(const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Watched> next;
  bool lost = false;
  for (const std::string& path : paths) {
    int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
    struct stat st;
    if (fd < 0) continue;  // not installed on this node
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      close(fd);
      continue;
    }
    if (!markInode(fd)) {
      close(fd);
      lost = true;  // installed but not watched: its starts would go unseen
      continue;
    }
    next.push_back({path, fd, static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)});
  }
  // The old inodes keep their marks until the next flush: only more events, never fewer.
  for (const Watched& w : watched_) close(w.fd);
  watched_ = std::move(next);
  markLost_ = lost;
  return watched_.size();
}

bool RuntimeStarts::isRuntime(uint64_t dev, uint64_t ino) const {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Watched& w : watched_) {
    if (w.dev == dev && w.ino == ino) return true;
  }
  return false;
}

bool RuntimeStarts::watching() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !watched_.empty();
}

bool RuntimeStarts::remark() {
  std::lock_guard<std::mutex> lock(mutex_);
  bool all = true;
  for (const Watched& w : watched_) all = markInode(w.fd) && all;
  if (!all) markLost_ = true;
  return all;
}

void RuntimeStarts::pause(int32_t pid) {
  std::lock_guard<std::mutex> lock(mutex_);
  paused_ = true;
  seq_++;
  pauses_++;
  if (pid <= 0) return;
  runtimeExecs_++;
  pruneExited();
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    runtimePidfds_.push_back(fd);
  } else if (errno != ESRCH) {  // ESRCH: gone already, nothing will run
    untrackedUntilNs_ = monotonicNs() + kUntrackedWaitNs;
  }
}

bool RuntimeStarts::paused() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return paused_;
}

// A pidfd polls readable once its process has exited.
void RuntimeStarts::pruneExited() {
  std::vector<int> running;
  for (int fd : runtimePidfds_) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
      close(fd);
    } else {
      running.push_back(fd);  // running, or poll failed: never assume an exit
    }
  }
  runtimePidfds_.swap(running);
}

bool RuntimeStarts::resume(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  pruneExited();
  if (!paused_) return true;
  if (seq != seq_ || !runtimePidfds_.empty() || markLost_ || watched_.empty()) return false;
  if (monotonicNs() < untrackedUntilNs_) return false;
  paused_ = false;
  resumes_++;
  return true;
}

StartPauseState RuntimeStarts::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  StartPauseState s;
  s.paused = paused_;
  s.seq = seq_;
  s.runtimesRunning = runtimePidfds_.size();
  s.runtimesWatched = watched_.size();
  s.pauses = pauses_;
  s.resumes = resumes_;
  s.runtimeExecs = runtimeExecs_;
  return s;
}

}  // namespace driftguard
