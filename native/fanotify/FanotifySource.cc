#include "fanotify/FanotifySource.hh"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace driftguard {

namespace {
std::runtime_error syscallError(const std::string& call, const std::string& subject) {
  return std::runtime_error(call + (subject.empty() ? "" : " " + subject) + ": " + strerror(errno));
}
constexpr uint64_t kMask = FAN_OPEN_EXEC_PERM;
}  // namespace

FanotifySource::FanotifySource() {
  // FAN_NONBLOCK: the fanotify thread polls the group fd together with its wake-up fd.
  fd_ = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fd_ < 0) {
    throw std::runtime_error(std::string("Unable to initialize fanotify: fanotify_init: ") + strerror(errno) +
                             (errno == EPERM ? " (the agent needs CAP_SYS_ADMIN)" : ""));
  }
}

FanotifySource::~FanotifySource() {
  close();
}

void FanotifySource::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [dev, mark] : marks_) {
    if (mark.dirFd >= 0) ::close(mark.dirFd);
  }
  marks_.clear();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

MarkInfo FanotifySource::markFilesystem(const std::string& path, bool keepDirFd, uint64_t expectDev) {
  int dirFd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirFd < 0) throw syscallError("open", path);
  struct stat st;
  if (fstat(dirFd, &st) != 0) {
    int saved = errno;
    ::close(dirFd);
    errno = saved;
    throw syscallError("fstat", path);
  }
  MarkInfo info{static_cast<uint64_t>(st.st_dev), false};
  if (expectDev != 0 && info.dev != expectDev) {
    ::close(dirFd);
    throw std::runtime_error("markFilesystem " + path + ": on device " + std::to_string(info.dev) + ", expected " +
                             std::to_string(expectDev) + " (the path was redirected)");
  }
  // Always mark, even a device we marked before: anonymous device numbers (tmpfs) are
  // reused, so a known number may be a new filesystem. Adding a mark twice is harmless.
  // pathname NULL: mark the object dirFd refers to, so the path is resolved only once.
  if (fanotify_mark(fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, kMask, dirFd, nullptr) != 0) {
    int saved = errno;
    ::close(dirFd);
    errno = saved;
    throw syscallError("fanotify_mark FAN_MARK_FILESYSTEM", path);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, added] = marks_.try_emplace(info.dev, Mark{-1});
  info.added = added;
  if (keepDirFd && it->second.dirFd < 0) {
    it->second.dirFd = dirFd;
  } else {
    ::close(dirFd);
  }
  return info;
}

void FanotifySource::unmarkFilesystem(uint64_t dev) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = marks_.find(dev);
  if (it == marks_.end()) return;
  // The mark disappears with the superblock when the filesystem is gone; only a mark on
  // a filesystem that still exists needs removing, and that needs a path on it.
  if (it->second.dirFd >= 0) {
    fanotify_mark(fd_, FAN_MARK_REMOVE | FAN_MARK_FILESYSTEM, kMask, it->second.dirFd, nullptr);
    ::close(it->second.dirFd);
  }
  marks_.erase(it);
}

int FanotifySource::directoryFdFor(uint64_t dev) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = marks_.find(dev);
  return it == marks_.end() ? -1 : it->second.dirFd;
}

size_t FanotifySource::markCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return marks_.size();
}

}  // namespace driftguard
