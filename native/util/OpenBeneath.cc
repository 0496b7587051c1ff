#include "util/OpenBeneath.hh"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "util/FileOps.hh"

namespace driftguard {

namespace {

constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// -1: not probed yet; otherwise a BeneathMode.
std::atomic<int> mode{-1};

int openat2Beneath(int rootFd, const char* rel, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = kResolve;
  int fd = -1;
  // EAGAIN: a rename elsewhere on the filesystem raced the lookup and the kernel asks for
  // a retry (it cannot prove the path stayed beneath); a few tries, then the error stands.
  for (int tries = 0; tries < 8; tries++) {
    fd = static_cast<int>(syscall(SYS_openat2, rootFd, rel, &how, sizeof how));
    if (fd >= 0 || errno != EAGAIN) break;
  }
  return fd;
}

BeneathMode probe() {
  int fd = openat2Beneath(AT_FDCWD, ".", O_PATH | O_DIRECTORY);
  if (fd >= 0) {
    close(fd);
    return BeneathMode::Openat2;
  }
  // ENOSYS: kernel < 5.6; EPERM: a seccomp profile that predates openat2; E2BIG/EINVAL: an
  // open_how the kernel does not know. Anything else is a problem of "." and says nothing.
  return errno == ENOSYS || errno == EPERM || errno == E2BIG || errno == EINVAL ? BeneathMode::ComponentWalk
                                                                                : BeneathMode::Openat2;
}

int componentWalk(int rootFd, const std::string& rel, int flags) {
  int dir = rootFd;
  size_t start = 0;
  for (;;) {
    while (start < rel.size() && rel[start] == '/') start++;
    size_t end = rel.find('/', start);
    if (end == std::string::npos) end = rel.size();
    const std::string name(rel, start, end - start);
    size_t next = end;
    while (next < rel.size() && rel[next] == '/') next++;
    bool last = next >= rel.size();
    if (name == "..") {
      if (dir != rootFd) close(dir);
      errno = EXDEV;
      return -1;
    }
    const char* component = name.empty() ? "." : name.c_str();
    // O_DIRECTORY with O_NOFOLLOW refuses a symlink on the way (ENOTDIR), as openat2 does (ELOOP).
    int fd =
        openat(dir, component, last ? flags | O_CLOEXEC | O_NOFOLLOW : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    if (dir != rootFd) close(dir);
    if (fd < 0 || last) {
      errno = saved;
      return fd;
    }
    dir = fd;
    start = next;
  }
}

}  // namespace

BeneathMode beneathMode() {
  int m = mode.load();
  if (m < 0) {
    m = static_cast<int>(probe());
    mode.store(m);
  }
  return static_cast<BeneathMode>(m);
}

void forceBeneathMode(BeneathMode forced) {
  mode.store(static_cast<int>(forced));
}

int openBeneath(int rootFd, const std::string& rel, int flags) {
  if (beneathMode() == BeneathMode::Openat2) return openat2Beneath(rootFd, rel.empty() ? "." : rel.c_str(), flags);
  return componentWalk(rootFd, rel, flags);
}

int openBeneathRoot(const std::string& root, const std::string& rel, int flags) {
  int rootFd = open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (rootFd < 0) return -1;
  int fd = openBeneath(rootFd, rel, flags);
  int saved = errno;
  close(rootFd);
  errno = saved;
  return fd;
}

int openRegularFileBeneath(const std::string& root, const std::string& rel, std::string* error, struct stat* st) {
  // O_PATH first: opening a device node for reading can act (see openRegularFile).
  int pathFd = openBeneathRoot(root, rel, O_PATH);
  if (pathFd < 0) {
    int err = errno;
    *error = "open " + rel + " beneath " + root + ": " + strerror(err);
    errno = err;  // the caller names the cause by it
    return -1;
  }
  return reopenRegularFile(pathFd, rel, error, st);
}

}  // namespace driftguard
