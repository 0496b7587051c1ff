// Opening paths inside a directory tree that someone else may change while we read it (a
// container's writable layer; an image layer being tampered with): nothing outside the
// root is ever reached and no symlink is ever followed, at any component, so a directory
// swapped for a symlink after readdir leads nowhere. Any thread.
#pragma once

#include <sys/stat.h>

#include <string>

namespace driftguard {

enum class BeneathMode {
  // openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): Linux >= 5.6.
  Openat2,
  // One openat(O_NOFOLLOW) per component from the root, ".." refused: where the kernel or a
  // seccomp profile refuses openat2 (ENOSYS, EPERM).
  ComponentWalk,
};

// Opens rel ("" or "." is the root itself; components separated by '/') beneath rootFd
// with flags (O_CLOEXEC and O_NOFOLLOW added). Returns the fd, or -1 with errno set: ELOOP
// or ENOTDIR for a symlink on the way, EXDEV for a path that would leave the root.
int openBeneath(int rootFd, const std::string& rel, int flags);

// The mechanism openBeneath uses, probed once per process.
BeneathMode beneathMode();
// Makes openBeneath use `mode` from now on: tests run the fallback on kernels with openat2.
void forceBeneathMode(BeneathMode mode);

// openBeneath from a root given by path: the agent's own path to a tree (a layer, a
// container's upper dir), trusted up to its last component, which must not be a symlink;
// everything below it belongs to the image or the container. -1 with errno set on error.
int openBeneathRoot(const std::string& root, const std::string& rel, int flags);

// Like openRegularFile (util/FileOps.hh), for rel beneath root (as openBeneathRoot): never
// follows a symlink at any component, never opens anything but a regular file for reading.
// On error errno holds the cause (0 for "not a regular file").
int openRegularFileBeneath(const std::string& root, const std::string& rel, std::string* error, struct stat* st);

}  // namespace driftguard
