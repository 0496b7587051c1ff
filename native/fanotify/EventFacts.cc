#include "fanotify/EventFacts.hh"

#include <sys/stat.h>

#include "util/FileOps.hh"

namespace driftguard {

bool statEventFile(int eventFd, int32_t pid, ExecFacts* facts) {
  struct stat st;
  if (fstat(eventFd, &st) != 0) return false;
  facts->pid = pid;
  facts->dev = st.st_dev;
  facts->ino = st.st_ino;
  facts->size = static_cast<uint64_t>(st.st_size);
  facts->mtimeNs = st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
  facts->ctimeNs = st.st_ctim.tv_sec * 1000000000ll + st.st_ctim.tv_nsec;
  facts->fileMode = st.st_mode;
  facts->links = st.st_nlink;
  facts->realPath.clear();
  facts->viewPath.clear();
  return true;
}

void fillRealPath(int eventFd, const FanotifySource& source, ExecFacts* facts) {
  facts->realPath = realPathOfFd(eventFd, source.directoryFdFor(facts->dev));
}

void fillViewPath(int eventFd, ExecFacts* facts) {
  if (facts->viewPath.empty()) facts->viewPath = pathOfFd(eventFd);
}

}  // namespace driftguard
