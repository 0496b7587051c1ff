// The fanotify group: FAN_CLASS_CONTENT, FAN_OPEN_EXEC_PERM on whole filesystems
// (FAN_MARK_FILESYSTEM), so that every exec from every mount namespace on a marked
// filesystem waits for our answer. Owns the group fd and one directory fd per marked
// filesystem (needed to turn an event's file handle into its real path).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace driftguard {

struct MarkInfo {
  uint64_t dev = 0;
  bool added = false;  // false if this filesystem was already marked
};

class FanotifySource {
 public:
  FanotifySource();  // throws std::runtime_error naming the syscall
  ~FanotifySource();
  FanotifySource(const FanotifySource&) = delete;
  FanotifySource& operator=(const FanotifySource&) = delete;

  int fd() const { return fd_; }
  // [JS thread, after every other thread has stopped] Closes the group: the kernel
  // removes all marks and allows anything still queued.
  void close();

  // [JS thread] Marks the filesystem that holds `path` (a directory; symlinks in the
  // last component are not followed). keepDirFd keeps a directory fd so that real paths
  // can be resolved on that filesystem; filesystems that belong to one container (its
  // tmpfs mounts) pass false, or the fd would keep the superblock alive after it exits.
  // expectDev (when not 0): refuse if the path turns out to be on another filesystem, e.g.
  // a path through /proc/<pid>/root that a container redirected with a symlink.
  MarkInfo markFilesystem(const std::string& path, bool keepDirFd, uint64_t expectDev = 0);
  // [JS thread] Removes the mark of the filesystem with this device number.
  void unmarkFilesystem(uint64_t dev);
  // [any thread] A directory fd on the filesystem `dev`, or -1.
  int directoryFdFor(uint64_t dev) const;
  size_t markCount() const;

 private:
  struct Mark {
    int dirFd;  // -1 when not kept
  };
  int fd_ = -1;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, Mark> marks_;  // by st_dev
};

}  // namespace driftguard
