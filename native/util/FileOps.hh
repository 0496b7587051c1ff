// Small, safe file operations on hostile paths. Any thread.
#pragma once

#include <sys/stat.h>

#include <string>

namespace driftguard {

// Target of /proc/self/fd/<fd>: the path the opener saw. "" on error.
std::string pathOfFd(int fd);

// The real path of the file behind fd on its own filesystem, resolved through a file
// handle against mountFd (a directory on that filesystem). For a file executed through
// overlayfs this is the file in the snapshot directory, not the overlay path that
// pathOfFd() reports. "" on error (for example a filesystem without file handles).
std::string realPathOfFd(int fd, int mountFd);

// open(2) a path for reading without following a final symlink; never opens anything but
// a regular file (checked through an O_PATH descriptor first, so no device or FIFO is ever
// opened for reading). Returns fd or -1 with *error set; *st (when given) is the file's
// fstat, taken before anything was read. On error errno holds the cause (0 for "not a
// regular file").
int openRegularFile(const std::string& path, std::string* error, struct stat* st = nullptr);

// The second half of openRegularFile: takes an O_PATH descriptor (and closes it), checks
// that it is a regular file and opens that inode for reading. `name` is for messages.
// On error errno holds the cause (0 for "not a regular file").
int reopenRegularFile(int pathFd, const std::string& name, std::string* error, struct stat* st);

}  // namespace driftguard
