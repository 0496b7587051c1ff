#include "util/FileOps.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

namespace driftguard {

std::string pathOfFd(int fd) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char target[PATH_MAX];
  ssize_t n = readlink(link, target, sizeof target);
  if (n <= 0 || n >= static_cast<ssize_t>(sizeof target)) return "";
  return std::string(target, static_cast<size_t>(n));
}

std::string realPathOfFd(int fd, int mountFd) {
  if (mountFd < 0) return "";
  alignas(struct file_handle) char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  auto* handle = reinterpret_cast<struct file_handle*>(storage);
  handle->handle_bytes = MAX_HANDLE_SZ;
  int mountId = 0;
  if (name_to_handle_at(fd, "", handle, &mountId, AT_EMPTY_PATH) != 0) return "";
  int pathFd = open_by_handle_at(mountFd, handle, O_PATH | O_CLOEXEC);
  if (pathFd < 0) return "";
  std::string path = pathOfFd(pathFd);
  close(pathFd);
  // A handle can resolve to a dentry that is not connected to the tree; the kernel then
  // reports a path that does not start with '/', which we must not trust.
  if (path.empty() || path[0] != '/' || path.find(" (deleted)") != std::string::npos) return "";
  return path;
}

int openRegularFile(const std::string& path, std::string* error, struct stat* out) {
  // O_PATH first: opening a device node for reading can act (a watchdog arms itself, a
  // tape rewinds), and a container can swap one in under a name that was a regular file.
  int pathFd = open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pathFd < 0) {
    int err = errno;
    *error = "open " + path + ": " + strerror(err);
    errno = err;
    return -1;
  }
  return reopenRegularFile(pathFd, path, error, out);
}

int reopenRegularFile(int pathFd, const std::string& name, std::string* error, struct stat* out) {
  struct stat st;
  if (fstat(pathFd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = "open " + name + ": not a regular file";
    close(pathFd);
    errno = 0;
    return -1;
  }
  // Reopening through the descriptor reaches the inode just checked, whatever the name
  // points to now.
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", pathFd);
  int fd = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  int savedErrno = errno;
  close(pathFd);
  if (fd < 0) {
    *error = "open " + name + ": " + strerror(savedErrno);
    errno = savedErrno;
    return -1;
  }
  if (out != nullptr) *out = st;
  return fd;
}

}  // namespace driftguard
