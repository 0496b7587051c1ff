#include "guard/CallerProgram.hh"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>

namespace driftguard {

namespace {

// Resolves path beneath the directory `root` without following any symlink, magic link or
// mount crossing (the layer is a container's, written by whoever). False if absent or on
// any error: without openat2 (Linux < 5.6, or a seccomp profile that refuses it) nothing
// is proven, and the caller is no allowed parent.
// TODO(baseline-12): util/OpenBeneath once it lands (it adds a fallback for old kernels).
bool statBeneath(const std::string& root, const std::string& path, struct stat* st) {
  int rootFd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return false;
  struct open_how how = {};
  how.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  int fd = static_cast<int>(syscall(SYS_openat2, rootFd, path.c_str() + 1, &how, sizeof how));
  close(rootFd);
  if (fd < 0) return false;
  bool ok = fstat(fd, st) == 0;
  close(fd);
  return ok;
}

}  // namespace

std::string callerImageProgram(const ContainerTable& container, const std::string& hostRoot, int32_t pid) {
  if (container.rootDev == 0) return "";
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/%d/exe", pid);
  ssize_t n = readlink(link, target, sizeof target);
  if (n <= 1 || n >= static_cast<ssize_t>(sizeof target) || target[0] != '/') return "";
  std::string path(target, static_cast<size_t>(n));
  if (path.find(" (deleted)") != std::string::npos) return "";
  struct stat exe;
  // The process waits in execve for our answer: its program cannot change meanwhile.
  if (stat(link, &exe) != 0 || !S_ISREG(exe.st_mode) || static_cast<uint64_t>(exe.st_dev) != container.rootDev) {
    return "";
  }
  struct stat layer;
  if (!container.upperDir.empty() && statBeneath(hostRoot + container.upperDir, path, &layer)) {
    // The same inode number as the overlay file: created on the writable layer, not a copy-up.
    if (!S_ISREG(layer.st_mode) || layer.st_ino == exe.st_ino) return "";
  }
  for (const std::string& lower : container.lowerDirs) {  // topmost first
    if (!statBeneath(hostRoot + lower, path, &layer)) continue;
    return S_ISREG(layer.st_mode) && layer.st_ino == exe.st_ino ? path : "";
  }
  return "";
}

}  // namespace driftguard
