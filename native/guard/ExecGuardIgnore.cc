// The exec fast path: after an image layer file was allowed, an ignore mark on its inode
// (IgnoreMarks) makes its later execs, in any container, cost what they cost without an
// agent. Which files may be silenced, and why every guarantee still holds, is in
// native/README.md ("Exec ignore marks"). In short:
// - only lower-layer (image layer) inodes: overlayfs never writes them (a container's write
//   copies the file up to a new inode in its writable layer), so a write through a shared
//   mapping, which raises no modify event and keeps the mask, cannot reach them. Never a
//   writable-layer or volume file, nor any layer while a bind volume exposes snapshot
//   directories to a container;
// - an image layer file is allowed in every container and every mode, unless a deny glob
//   matches its path; exceptions only ever allow more. So: never a file that the deny glob
//   of any loaded policy or attached container matches, nor a hard-linked file while any
//   deny glob exists (one of its other names may be denied);
// - tables whose deny globs grew take effect only after every ignore mark is removed, and
//   a mark is added only while the tables that allowed the exec are still current;
// - an exec of the container runtime (RuntimeStarts) removes every mark before it is
//   answered, and none is added until the agent resumes (no container pending attach).
#include <sys/stat.h>

#include <algorithm>

#include "guard/ExecGuard.hh"

namespace driftguard {

namespace {
// True when marks added under `before` could be wrong under `after`.
bool ignoreRulesTightened(const Tables& before, const Tables& after) {
  if (after.layersWritableByVolume && !before.layersWritableByVolume) return true;
  // Both sorted: a glob of `after` missing from `before` may deny a marked file.
  return !std::includes(before.denyPathGlobsAnyPolicy.begin(), before.denyPathGlobsAnyPolicy.end(),
                        after.denyPathGlobsAnyPolicy.begin(), after.denyPathGlobsAnyPolicy.end());
}
}  // namespace

// [JS thread] Marks that the new tables might not allow go before the tables take effect;
// the fanotify thread adds marks only under ignoreMutex_ and only for current tables.
void ExecGuard::swapTables(std::shared_ptr<const Tables> next) {
  std::lock_guard<std::mutex> ignoring(ignoreMutex_);
  if (ignoreRulesTightened(*currentTables(), *next)) {
    ignoreMarks_.clear();  // throws: nothing changed
    // The flush took the runtime binaries' inode marks too, until remark: a runtime exec in
    // between raised no event, so this flush pauses like one.
    if (runtimeStarts_.watching()) {
      runtimeStarts_.pause(false);
      if (pauseListener_) pauseListener_();
    }
    runtimeStarts_.remark();
  }
  std::lock_guard<std::mutex> lock(tablesMutex_);
  tables_.swap(next);
  // The old tables die here or when the last in-flight decision lets go of them.
}

// [fanotify thread] An image layer file that no loaded policy denies: allowed in every
// container (exceptions only allow more; every mode allows image files).
void ExecGuard::allowImageFile(Work& work, const std::string& relPath) {
  if (!matchesAny(work.tables->denyPathGlobsAnyPolicy, relPath)) ignoreLaterExecs(work);
  counters_.allowedImage++;
  allow(work.id, work.start);
}

// [fanotify thread] Before the answer: answering closes the event fd.
void ExecGuard::ignoreLaterExecs(const Work& work) {
  const Tables& tables = *work.tables;
  if (!ignoreMarks_.enabled() || tables.layersWritableByVolume || !S_ISREG(work.facts.fileMode)) return;
  if (work.facts.links > 1 && !tables.denyPathGlobsAnyPolicy.empty()) return;
  // A table swap clearing marks holds the lock: never wait for it, the next exec marks.
  std::unique_lock<std::mutex> lock(ignoreMutex_, std::try_to_lock);
  if (!lock.owns_lock() || currentTables() != work.tables || runtimeStarts_.paused()) return;
  ignoreMarks_.add(work.eventFd, work.facts.dev, work.facts.ino);
}

// [fanotify thread] The runtime is about to create or start a container (or exec into
// one): before it may run, no image file stays silenced, and none is until resume.
void ExecGuard::pauseForRuntime() {
  std::lock_guard<std::mutex> ignoring(ignoreMutex_);
  runtimeStarts_.pause(true);
  try {
    ignoreMarks_.clear();
  } catch (const std::exception&) {
    counters_.ignoreFlushFailed++;  // FAN_MARK_FLUSH only fails on a bad fd or flags
  }
  runtimeStarts_.remark();
  if (pauseListener_) pauseListener_();
}

void ExecGuard::onStartPause(std::function<void()> listener) {
  std::lock_guard<std::mutex> ignoring(ignoreMutex_);
  pauseListener_ = std::move(listener);
}

// [JS thread] The runtime binaries, as the agent sees them on the host.
size_t ExecGuard::watchRuntimeBinaries(const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> ignoring(ignoreMutex_);
  return runtimeStarts_.watch(paths);
}

StartPauseState ExecGuard::startPause() const {
  return runtimeStarts_.state();
}

// [JS thread] The agent saw no pause after seq, and every container task attached.
bool ExecGuard::resumeIgnoreMarks(uint64_t seq) {
  std::lock_guard<std::mutex> ignoring(ignoreMutex_);
  return runtimeStarts_.resume(seq);
}

}  // namespace driftguard
