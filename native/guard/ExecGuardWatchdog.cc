// ExecGuard's watchdog: nothing waits for an answer past the deadline. Events of a known
// container whose verdict waits for a hash or a baseline get that container's policy at the
// hash deadline (unverified); every other event gets the fail mode at the deadline, and so
// do, if the fanotify thread is stuck, the events queued behind it. [watchdog thread,
// except failModeRecord which the fanotify thread also uses]
#include <sys/fanotify.h>
#include <unistd.h>

#include "fanotify/EventFacts.hh"
#include "guard/Clocks.hh"
#include "guard/ExecGuard.hh"
#include "util/FileOps.hh"
#include "util/ProcInfo.hh"

namespace driftguard {

// A record for an exec answered with the fail mode rather than decided. Names the
// container when the process's cgroup says which one (it may still be unattached).
namespace {
VerdictRecord answeredRecord(int32_t pid, bool allowed, ProcessFacts process) {
  VerdictRecord record;
  record.timeMs = wallClockMs();
  record.pid = pid;
  record.verdict = allowed ? Verdict::Audited : Verdict::Blocked;
  record.mode = allowed ? Mode::Audit : Mode::Enforce;
  record.ppid = process.ppid;
  record.uid = process.uid;
  record.exe = std::move(process.exe);
  record.cmdline = std::move(process.cmdline);
  record.cmdlineUnread = process.cmdlineUnread;
  record.parentExe = std::move(process.parentExe);
  return record;
}
}  // namespace

VerdictRecord ExecGuard::failModeRecord(int32_t pid, std::string path, Reason reason) const {
  VerdictRecord record = answeredRecord(pid, options_.failOpen, processFacts(pid));
  record.path = std::move(path);
  record.reason = reason;
  std::shared_ptr<const Tables> tables = currentTables();
  if (const ContainerTable* container = tables->containerByCgroupLeaf(cgroupOf(pid))) {
    record.containerId = container->id;
    record.policy = container->policy.name;
  }
  return record;
}

// An exec its container's policy answered because its content could not be proven in time.
VerdictRecord ExecGuard::fallbackRecord(int32_t pid, const ContainerFallback& fallback) const {
  VerdictRecord record = answeredRecord(pid, fallback.allow, fallback.process);
  record.reason = Reason::Unverified;
  record.containerId = fallback.containerId;
  record.policy = fallback.policy;
  record.path = fallback.path;
  record.hostPath = fallback.hostPath;
  return record;
}

// [watchdog thread]
void ExecGuard::runWatchdog() {
  auto tick = std::clamp(std::min(options_.deadline, options_.hashDeadline) / 4, std::chrono::milliseconds(5),
                         std::chrono::milliseconds(250));
  std::unique_lock<std::mutex> lock(watchdogMutex_);
  while (!stopping_) {
    watchdogWake_.wait_for(lock, tick);
    if (stopping_) break;
    for (const ExpiredEvent& expired : pending_.expire(Clock::now(), options_.failOpen)) {
      if (expired.fallback) {
        counters_.unverified++;
        (expired.fallback->allow ? counters_.audited : counters_.blocked)++;
        sink_.push(fallbackRecord(expired.pid, *expired.fallback));
      } else {
        counters_.deadlineExceeded++;
        sink_.push(failModeRecord(expired.pid, expired.path, Reason::DeadlineExceeded));
      }
    }
    drainStalled();
  }
}

// [watchdog thread] If the fanotify thread is stuck on one event past the deadline, the
// execs queued behind it would wait too: read and answer them here with the fail mode.
void ExecGuard::drainStalled() {
  int64_t busySince = busySinceNs_.load();
  if (busySince == 0 || monotonicNs() - busySince < options_.deadline.count() * 1000000ll) return;
  alignas(struct fanotify_event_metadata) char buffer[4096];
  ssize_t length;
  while ((length = read(source_.fd(), buffer, sizeof buffer)) > 0) {
    auto* meta = reinterpret_cast<struct fanotify_event_metadata*>(buffer);
    for (; FAN_EVENT_OK(meta, length); meta = FAN_EVENT_NEXT(meta, length)) {
      if (meta->fd < 0) continue;
      struct fanotify_response response = {meta->fd, static_cast<__u32>(options_.failOpen ? FAN_ALLOW : FAN_DENY)};
      ssize_t ignored = write(source_.fd(), &response, sizeof response);
      (void)ignored;
      VerdictRecord record = failModeRecord(meta->pid, pathOfFd(meta->fd), Reason::DeadlineExceeded);
      close(meta->fd);
      counters_.stalledDrained++;
      sink_.push(std::move(record));
    }
  }
}

}  // namespace driftguard
