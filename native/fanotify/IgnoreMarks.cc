#include "fanotify/IgnoreMarks.hh"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x00000200  // Linux 5.19 uapi; older headers lack it
#endif

namespace driftguard {

bool IgnoreMarks::add(int eventFd, uint64_t dev, uint64_t ino) {
  if (!enabled()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  std::pair<uint64_t, uint64_t> key{dev, ino};
  // A known inode raising an event again: the kernel evicted its mark (or a write cleared
  // the mask). Marking it again is all there is to do.
  bool known = marked_.count(key) != 0;
  std::string handleBytes;
  if (!known) {
    alignas(struct file_handle) char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
    auto* handle = reinterpret_cast<struct file_handle*>(storage);
    handle->handle_bytes = MAX_HANDLE_SZ;
    int mountId = 0;
    // Without a handle the mark could never be evicted on its own: no mark then.
    if (name_to_handle_at(eventFd, "", handle, &mountId, AT_EMPTY_PATH) != 0) {
      failures_++;
      return false;
    }
    handleBytes.assign(storage, sizeof(struct file_handle) + handle->handle_bytes);
    while (order_.size() >= limit_) {
      if (!removeOldest() && !flushAll()) {
        failures_++;
        return false;
      }
    }
  }
  unsigned flags = FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | (evictable_ ? FAN_MARK_EVICTABLE : 0u);
  int rc = fanotify_mark(source_.fd(), flags, FAN_OPEN_EXEC_PERM, eventFd, nullptr);
  if (rc != 0 && errno == EINVAL && evictable_) {
    evictable_ = false;  // a kernel before 5.19: marks pin their inodes, the limit bounds them
    rc = fanotify_mark(source_.fd(), flags & ~FAN_MARK_EVICTABLE, FAN_OPEN_EXEC_PERM, eventFd, nullptr);
  }
  if (rc != 0) {
    failures_++;
    return false;
  }
  if (!known) {
    order_.push_back({dev, ino, std::move(handleBytes)});
    marked_.insert(key);
    added_++;
  }
  return true;
}

// The oldest mark, reopened by its file handle. False if it cannot be removed on its own.
bool IgnoreMarks::removeOldest() {
  Entry entry = std::move(order_.front());
  order_.pop_front();
  marked_.erase({entry.dev, entry.ino});
  int mountFd = source_.directoryFdFor(entry.dev);
  if (mountFd < 0) return false;
  auto* handle = reinterpret_cast<struct file_handle*>(entry.handle.data());
  // O_PATH: never opens the file for reading. fanotify_mark takes no O_PATH fd as its object,
  // but resolves the /proc/self/fd link to the inode.
  int fd = open_by_handle_at(mountFd, handle, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ESTALE) return false;
    evictions_++;  // the file is gone, and its mark went with its inode
    return true;
  }
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  int rc =
      fanotify_mark(source_.fd(), FAN_MARK_REMOVE | FAN_MARK_IGNORED_MASK, FAN_OPEN_EXEC_PERM, AT_FDCWD, link.c_str());
  int saved = errno;
  close(fd);
  if (rc != 0 && saved != ENOENT) return false;  // ENOENT: the kernel had evicted it already
  evictions_++;
  return true;
}

// Every inode mark of the group, which are all ignore marks.
bool IgnoreMarks::flushAll() {
  if (fanotify_mark(source_.fd(), FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr) != 0) return false;
  evictions_ += order_.size();
  order_.clear();
  marked_.clear();
  flushes_++;
  return true;
}

void IgnoreMarks::clear() {
  if (!enabled()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  size_t before = order_.size();
  if (!flushAll()) {
    throw std::runtime_error(std::string("fanotify_mark FAN_MARK_FLUSH (removing exec ignore marks): ") +
                             strerror(errno) + "; the tables were not changed");
  }
  evictions_ -= before;  // a policy change is not an eviction for lack of room
}

IgnoreMarkStats IgnoreMarks::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {order_.size(), added_, evictions_, flushes_, failures_, limit_};
}

}  // namespace driftguard
