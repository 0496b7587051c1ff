// Which image program calls execve: the exec'ing process's own program (a fork of java
// runs java), never a parent found by PPID (an orphan is reparented to PID 1, often the
// very program a policy allows). [fanotify thread or hash worker]
#pragma once

#include <cstdint>
#include <string>

#include "decide/Tables.hh"

namespace driftguard {

// The path, in the container's image, of the program process pid runs; "" when it is not
// an image program of this container or cannot be proven to be one.
//
// /proc/<pid>/exe names a path, and a bind mount in a private mount namespace can put any
// file there; an overlay file has no file handle to resolve. So the path is checked
// against the file: the program must be on the container's root overlay (rootDev), and its
// inode number (overlayfs reports the real one when all layers share a filesystem, as
// containerd's do; a copy-up keeps the image file's) must be that of the file at the same
// path in the topmost image layer that has it. A file the container created at that path
// is not the image's.
// hostRoot: prefix that makes the layer dirs (host paths) openable, "" on the host.
std::string callerImageProgram(const ContainerTable& container, const std::string& hostRoot, int32_t pid);

}  // namespace driftguard
