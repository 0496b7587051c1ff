#include "guard/RuntimeStarts.hh"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace driftguard {

RuntimeStarts::~RuntimeStarts() {
  for (const Watched& w : watched_) close(w.fd);
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

void RuntimeStarts::pause(bool runtimeExec) {
  std::lock_guard<std::mutex> lock(mutex_);
  paused_ = true;
  seq_++;
  pauses_++;
  if (runtimeExec) runtimeExecs_++;
}

bool RuntimeStarts::paused() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return paused_;
}

bool RuntimeStarts::resume(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!paused_) return true;
  if (seq != seq_ || markLost_ || watched_.empty()) return false;
  paused_ = false;
  resumes_++;
  return true;
}

StartPauseState RuntimeStarts::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  StartPauseState s;
  s.paused = paused_;
  s.seq = seq_;
  s.runtimesWatched = watched_.size();
  s.pauses = pauses_;
  s.resumes = resumes_;
  s.runtimeExecs = runtimeExecs_;
  return s;
}

}  // namespace driftguard
