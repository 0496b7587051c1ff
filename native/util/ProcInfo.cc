#include "util/ProcInfo.hh"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/BoundedProcRead.hh"

namespace driftguard {

namespace {
// Reads a small /proc file whole. Returns "" on any error (the process may have exited).
std::string readProcFile(int32_t pid, const char* name) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0 || out.size() > 64 * 1024) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}
}  // namespace

namespace {
// From linux/pidfd.h (6.13); Debian 12's headers predate it.
struct PidfdInfo {
  uint64_t mask, cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  uint32_t spare0[1];
};
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);
constexpr uint64_t kPidfdInfoCgroupId = 1ull << 2;
}  // namespace

uint64_t cgroupIdOf(int32_t pid, bool* unsupported) {
  return ProcessHandle(pid).cgroupId(unsupported);
}

ProcessHandle::ProcessHandle(int32_t pid) : pid_(pid), fd_(static_cast<int>(syscall(SYS_pidfd_open, pid, 0))) {
  if (fd_ < 0) openError_ = errno;
}

ProcessHandle::~ProcessHandle() {
  if (fd_ >= 0) close(fd_);
}

uint64_t ProcessHandle::cgroupId(bool* unsupported) const {
  if (fd_ < 0) {
    if (openError_ == ENOSYS) *unsupported = true;
    return 0;
  }
  PidfdInfo info{};
  info.mask = kPidfdInfoCgroupId;
  int result = ioctl(fd_, kPidfdGetInfo, &info);
  int error = errno;
  if (result != 0) {
    if (error == ENOTTY || error == EINVAL || error == EOPNOTSUPP) *unsupported = true;
    return 0;
  }
  if (!(info.mask & kPidfdInfoCgroupId)) {
    *unsupported = true;
    return 0;
  }
  return info.cgroupid;
}

uint64_t mountNamespaceOf(int32_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  return st.st_ino;
}

bool ProcessHandle::cgroupPath(std::string* path) const {
  if (fd_ < 0) return false;
  *path = cgroupOf(pid_);
  // Signal 0 only checks: it fails with ESRCH once the process was reaped, never for a zombie.
  return syscall(SYS_pidfd_send_signal, fd_, 0, nullptr, 0) == 0 || errno != ESRCH;
}

std::string cgroupOf(int32_t pid) {
  std::string text = readProcFile(pid, "cgroup");
  std::string first;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    // "hierarchy-id:controllers:path"; the path itself may contain ':'.
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 != std::string_view::npos) {
      std::string_view path = line.substr(c2 + 1);
      if (line.substr(0, c2) == "0:") return std::string(path);
      if (first.empty()) first = std::string(path);
    }
    start = end + 1;
  }
  return first;
}

namespace {
std::string readProcLink(int32_t pid, const char* name) {
  char path[64], target[4096];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
  ssize_t n = readlink(path, target, sizeof target);
  return n > 0 && n < static_cast<ssize_t>(sizeof target) ? std::string(target, static_cast<size_t>(n)) : "";
}
// Bounds what a verdict record carries (records queue up under an exec flood). A longer
// command line is cut at a UTF-8 character boundary and ends with "…", which the reporter
// (src/report/fitFinding.ts, NATIVE_CMDLINE_BYTES) names in the finding's truncated_fields.
constexpr size_t kMaxCmdline = 4096;
constexpr char kEllipsis[] = "\xE2\x80\xA6";

void cutCommandLine(std::string& cmdline) {
  if (cmdline.size() <= kMaxCmdline) return;
  size_t end = kMaxCmdline - (sizeof kEllipsis - 1);
  while (end > 0 && (static_cast<unsigned char>(cmdline[end]) & 0xC0) == 0x80) end--;  // not inside a character
  cmdline.resize(end);
  cmdline += kEllipsis;
}
}  // namespace

ProcessFacts processFacts(int32_t pid) {
  ProcessFacts facts;
  facts.exe = readProcLink(pid, "exe");
  // The one file here that takes the process's mmap lock, which the process can hold.
  std::optional<std::string> cmdline =
      readProcFileBounded("/proc/" + std::to_string(pid) + "/cmdline", kMaxCmdline + 8);
  facts.cmdlineUnread = !cmdline;
  facts.cmdline = cmdline.value_or("");
  while (!facts.cmdline.empty() && facts.cmdline.back() == '\0') facts.cmdline.pop_back();
  for (char& c : facts.cmdline) {
    if (c == '\0') c = ' ';
  }
  cutCommandLine(facts.cmdline);
  std::string status = readProcFile(pid, "status");
  size_t at = status.find("\nPPid:");
  if (at != std::string::npos) facts.ppid = static_cast<int32_t>(strtol(status.c_str() + at + 6, nullptr, 10));
  at = status.find("\nUid:");
  if (at != std::string::npos) facts.uid = strtoll(status.c_str() + at + 5, nullptr, 10);
  if (facts.ppid > 0) facts.parentExe = readProcLink(facts.ppid, "exe");
  return facts;
}

}  // namespace driftguard
