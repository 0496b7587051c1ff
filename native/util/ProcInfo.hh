// Facts about a process from /proc. Any thread; every call is a few syscalls, so the
// fanotify thread only makes them off the fast path (see ExecGuard::classify).
#pragma once

#include <cstdint>
#include <string>

namespace driftguard {

// Inode of /proc/<pid>/ns/mnt, 0 if the process is gone. Costs ~20-30 us for a pid not
// looked up before (the kernel builds its /proc dentries), which is every fresh exec.
uint64_t mountNamespaceOf(int32_t pid);

// The process's cgroup v2 id (pidfd_open + PIDFD_GET_INFO, Linux >= 6.13; ~3 us, no /proc
// walk). 0 if the process is gone; sets *unsupported when the kernel lacks the ioctl.
uint64_t cgroupIdOf(int32_t pid, bool* unsupported);

// A process held by a pidfd, so that what /proc says about its pid is known to be about it:
// a pid names another process only after its process was reaped, which the pidfd tells (a
// zombie keeps its cgroup). Without it, a container process killed and reaped between its
// cgroup id and its cgroup path read as a process with no cgroup: its id was cached as the
// host's, and every later exec of the container went unjudged.
class ProcessHandle {
 public:
  explicit ProcessHandle(int32_t pid);
  ~ProcessHandle();
  ProcessHandle(const ProcessHandle&) = delete;
  ProcessHandle& operator=(const ProcessHandle&) = delete;
  // As cgroupIdOf, for this process.
  uint64_t cgroupId(bool* unsupported) const;
  // Its cgroup path (as cgroupOf). False when it was gone before the read was done (the
  // path, if any, may be another process's); true with "" when it could not be read.
  bool cgroupPath(std::string* path) const;

 private:
  int32_t pid_;
  int fd_;
  int openError_ = 0;
};

// The process's cgroup path: the cgroup v2 ("0::") line when present, else the first
// v1 line. "" if the process is gone.
std::string cgroupOf(int32_t pid);

struct ProcessFacts {
  int32_t ppid = 0;
  int64_t uid = -1;            // real uid, -1 if unknown
  std::string exe;             // the program calling execve (what it runs before the exec)
  std::string cmdline;         // its command line, arguments joined by spaces, truncated
  bool cmdlineUnread = false;  // not read in time: the process held its memory map's lock
  std::string parentExe;       // the parent's program
};

// Never waits long: the command line is read with a bound (util/BoundedProcRead.hh).
ProcessFacts processFacts(int32_t pid);

}  // namespace driftguard
