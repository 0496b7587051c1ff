// What one fanotify event tells about the file being executed. [fanotify thread]
#pragma once

#include "decide/Types.hh"
#include "fanotify/FanotifySource.hh"

namespace driftguard {

// fstat of the event fd (the real inode on the host filesystem, even when executed
// through overlayfs) and its real path through a file handle. False if the fd cannot be
// stat'ed. viewPath is left empty: only findings need it (fillViewPath).
bool gatherFacts(int eventFd, int32_t pid, const FanotifySource& source, ExecFacts* facts);
void fillViewPath(int eventFd, ExecFacts* facts);

}  // namespace driftguard
