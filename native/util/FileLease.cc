#include "util/FileLease.hh"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>
#include <mutex>

namespace driftguard {

LeaseResult takeReadLease(int fd, int* error) {
  if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) return LeaseResult::Held;
  *error = errno;
  return errno == EAGAIN ? LeaseResult::Writer : LeaseResult::Refused;
}

void releaseLease(int fd) {
  fcntl(fd, F_SETLEASE, F_UNLCK);
}

namespace {
void ignoreLeaseBreak(int) {}
}  // namespace

void makeLeaseBreakSignalHarmless() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current = {};
    if (sigaction(SIGIO, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return;
    struct sigaction harmless = {};
    harmless.sa_handler = ignoreLeaseBreak;  // a handler, not SIG_IGN: children get SIG_DFL back at exec
    harmless.sa_flags = SA_RESTART;
    sigemptyset(&harmless.sa_mask);
    sigaction(SIGIO, &harmless, nullptr);
  });
}

}  // namespace driftguard
