// fanotify ignore marks: after an exec of a file no container can write was allowed, an
// inode mark with FAN_OPEN_EXEC_PERM in its ignored mask makes later execs of that inode
// raise no event at all (the filesystem mark stays; the ignore mask wins for this group).
// Bounded: past the limit the oldest mark is removed, and removing an ignore mark only
// ever brings events back, so eviction can never allow anything. Which files qualify is
// ExecGuard's business (ExecGuardIgnore.cc); this class only adds, evicts and clears.
//
// The guard's own marks are FAN_MARK_FILESYSTEM, which a flush of inode marks leaves alone;
// its only other inode marks, the runtime binaries' (guard/RuntimeStarts), are put back
// right after: FAN_MARK_FLUSH removes every ignore mark in one syscall, whatever their number. Marks are
// FAN_MARK_EVICTABLE where the kernel has it (>= 5.19): they do not pin inodes in memory; the kernel may drop one,
// which again only brings events back. Without FAN_MARK_IGNORED_SURV_MODIFY, a write through write(2) clears the mask
// too.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>

#include "fanotify/FanotifySource.hh"

namespace driftguard {

struct IgnoreMarkStats {
  uint64_t now = 0, added = 0, evictions = 0, flushes = 0, failures = 0;
  size_t limit = 0;
};

class IgnoreMarks {
 public:
  // limit 0 turns ignore marks off. source: the group, and a directory fd per filesystem
  // to reopen a marked inode by its file handle when its mark is evicted.
  IgnoreMarks(const FanotifySource& source, size_t limit) : source_(source), limit_(limit) {}

  bool enabled() const { return limit_ > 0; }
  // [fanotify thread, with the guard's ignore lock] Silences later execs of the inode behind
  // eventFd (an open fd of the exec'd file). False if the kernel refused (counted).
  bool add(int eventFd, uint64_t dev, uint64_t ino);
  // [JS thread, with the guard's ignore lock] Removes every ignore mark of the group.
  void clear();
  IgnoreMarkStats stats() const;  // [any thread]

 private:
  struct Entry {
    uint64_t dev, ino;
    std::string handle;  // struct file_handle bytes, to reopen the inode for removal
  };
  struct KeyHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& k) const {
      return k.second * 0x9E3779B97F4A7C15ull ^ k.first;
    }
  };
  bool removeOldest();
  bool flushAll();

  const FanotifySource& source_;
  const size_t limit_;
  mutable std::mutex mutex_;                                           // guards the fields below
  std::deque<Entry> order_;                                            // oldest first
  std::unordered_set<std::pair<uint64_t, uint64_t>, KeyHash> marked_;  // (dev, ino) in order_
  bool evictable_ = true;  // cleared once if the kernel rejects FAN_MARK_EVICTABLE
  uint64_t added_ = 0, evictions_ = 0, flushes_ = 0, failures_ = 0;
};

}  // namespace driftguard
