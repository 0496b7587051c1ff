// Container starts, as the exec guard sees them: every container's first process is run by
// the OCI runtime (runc, crun), which the containerd shim, a host process, execs first
// (`runc create`, then `runc start`, which releases the entrypoint). The runtime binaries
// carry an inode mark for FAN_OPEN_EXEC_PERM (so their execs raise an event even where their
// filesystem is not marked), and each such exec pauses the exec ignore marks: the guard
// flushes them before it answers, and adds none until the agent says no container is
// pending (resume). So a new container's entrypoint raises an event and is held until the
// container is attached, even when another container marked the same image file.
// Why this is sound, and its limits: native/README.md ("A new container sharing layers").
// Thread-safe: every method takes the class's lock; the guard calls pause, remark and
// resume with its ignore lock held, so no ignore mark is added in between.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "fanotify/FanotifySource.hh"

namespace driftguard {

struct StartPauseState {
  bool paused = false;
  uint64_t seq = 0;            // grows with every pause: a resume names the one it saw
  size_t runtimesWatched = 0;  // runtime binaries with an inode mark
  uint64_t pauses = 0, resumes = 0, runtimeExecs = 0;
};

class RuntimeStarts {
 public:
  RuntimeStarts(const FanotifySource& source, bool startPaused) : source_(source), paused_(startPaused) {}
  ~RuntimeStarts();
  RuntimeStarts(const RuntimeStarts&) = delete;
  RuntimeStarts& operator=(const RuntimeStarts&) = delete;

  // [JS thread, with the guard's ignore lock] Opens each path that exists (the agent's view
  // of the host's runtime binaries), marks its inode; a path whose file changed (an upgrade
  // renamed a new binary over it) is marked again. Returns how many are watched.
  size_t watch(const std::vector<std::string>& paths);
  // [fanotify thread] Is this file one of the watched runtime binaries?
  bool isRuntime(uint64_t dev, uint64_t ino) const;
  bool watching() const;
  // [with the guard's ignore lock] Inode marks are flushed with the ignore marks: put the
  // runtime binaries' marks back. False if one could not be marked (stays paused then).
  bool remark();
  // [with the guard's ignore lock] A runtime exec (runtimeExec) or a flush of the tables:
  // paused until resume.
  void pause(bool runtimeExec);
  bool paused() const;
  // [JS thread, with the guard's ignore lock] Resumes if no pause came after `seq` (the agent
  // then listed every live task as attached). True if marks may be added again. The process
  // that exec'd the runtime is not waited for: `runc init` re-execs the runtime binary and
  // then becomes the container's first process.
  bool resume(uint64_t seq);
  StartPauseState state() const;

 private:
  struct Watched {
    std::string path;
    int fd;  // O_PATH: keeps the inode to mark again after a flush
    uint64_t dev, ino;
  };
  bool markInode(int fd) const;

  const FanotifySource& source_;
  mutable std::mutex mutex_;
  std::vector<Watched> watched_;
  bool paused_;
  bool markLost_ = false;  // a runtime binary lost its mark: no resume until watched again
  uint64_t seq_ = 0, pauses_ = 0, resumes_ = 0, runtimeExecs_ = 0;
};

}  // namespace driftguard
