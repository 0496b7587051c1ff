// What one fanotify event tells about the file being executed. [fanotify thread]
#pragma once

#include "decide/Types.hh"
#include "fanotify/FanotifySource.hh"

namespace driftguard {

// fstat of the event fd: the real inode on the host filesystem, even when executed through
// overlayfs. False if the fd cannot be stat'ed. Paths are left empty: they cost syscalls
// and most execs are decided without them (fillRealPath, fillViewPath).
bool statEventFile(int eventFd, int32_t pid, ExecFacts* facts);
// The file's real path on its filesystem, through a file handle (which snapshot dir it is in).
void fillRealPath(int eventFd, const FanotifySource& source, ExecFacts* facts);
void fillViewPath(int eventFd, ExecFacts* facts);

}  // namespace driftguard
