// Who wrote the files that containers later execute: a notification-only fanotify group
// (FAN_CLASS_NOTIF: nobody waits for it) with FAN_MODIFY | FAN_CLOSE_WRITE on whole
// filesystems (the ones holding containerd's snapshots and pod volumes). Its own thread
// reads the events, keeps the writes of processes outside the host's mount namespace
// (containers'; an event's fd path cannot tell: for a write through overlayfs it is not
// the upper file's host path) and records the writer (pid, program, arguments, uid, time)
// of each file in a bounded WriterTable. FAN_MODIFY arrives while the writer still writes, so its
// /proc entry is usually still there; FAN_CLOSE_WRITE gives the time of the last write.
// Misses: writes before the agent started, writes through a shared writable mapping (no
// event), events beyond the kernel's queue (16384, counted as overflows), writers that
// exited before their first event was read (pid and time only), files evicted from the table.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "writer/CreateWatch.hh"
#include "writer/WriterTable.hh"

namespace driftguard {

struct WriteTrackerStats {
  uint64_t events = 0;      // events read
  uint64_t recorded = 0;    // writes of container processes recorded
  uint64_t overflows = 0;   // FAN_Q_OVERFLOW: the kernel dropped events
  uint64_t writerGone = 0;  // the writer had exited before /proc was read
  uint64_t evicted = 0;
  uint64_t tracked = 0;  // files in the table now
};

class WriteTracker {
 public:
  // hostMountNamespace: inode of the host's mount namespace, whose processes' writes are
  // ignored (0: none are). capacity: files remembered. Throws std::runtime_error naming the syscall.
  WriteTracker(uint64_t hostMountNamespace, size_t capacity);
  ~WriteTracker();
  WriteTracker(const WriteTracker&) = delete;
  WriteTracker& operator=(const WriteTracker&) = delete;

  // [JS thread] Marks the filesystem holding path (a directory). Returns its st_dev.
  uint64_t markFilesystem(const std::string& path);
  // [JS thread]
  void start();
  void stop();
  // [any thread] The last writer of the file at path (stat follows no final symlink).
  bool writerOf(const std::string& path, FileWriter* out) const;
  WriteTrackerStats stats() const;

 private:
  void run();                        // [tracker thread]
  void handle(int fd, int32_t pid);  // [tracker thread]
  // [tracker thread] A file created, or written first, by pid: its writer read now.
  void created(uint64_t dev, uint64_t ino, int32_t pid, int64_t time);
  // [tracker thread] The writer's facts, read once a second per pid; nullptr for a host process.
  const FileWriter* writer(int32_t pid, int64_t timeMs);

  uint64_t hostMountNamespace_;
  WriterTable table_;
  // FAN_CREATE, where the kernel reports file ids (>= 5.17); null elsewhere: then only the
  // writes name a writer.
  std::unique_ptr<CreateWatch> creates_;
  int fd_ = -1;
  int wakeFd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::atomic<uint64_t> events_{0}, recorded_{0}, overflows_{0}, writerGone_{0};
  // A writer's /proc facts for a second: an untar writes thousands of files, read once.
  struct Recent {
    bool host;
    FileWriter writer;
  };
  std::unordered_map<int32_t, Recent> recentWriters_;
  FileWriter lastGone_;  // what writer() returns for a writer already gone
  int64_t recentSinceMs_ = 0;
};

}  // namespace driftguard
