#include "writer/WriteTracker.hh"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "util/ProcInfo.hh"

namespace driftguard {

namespace {
constexpr uint64_t kMask = FAN_MODIFY | FAN_CLOSE_WRITE;
constexpr size_t kRecentWriters = 256;

int64_t nowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::runtime_error syscallError(const std::string& call, const std::string& input) {
  return std::runtime_error("write tracker: " + call + (input.empty() ? "" : " " + input) + ": " + strerror(errno));
}
}  // namespace

WriteTracker::WriteTracker(uint64_t hostMountNamespace, size_t capacity)
    : hostMountNamespace_(hostMountNamespace), table_(capacity) {
  fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fd_ < 0) throw syscallError("fanotify_init FAN_CLASS_NOTIF", "(needs CAP_SYS_ADMIN)");
  wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) {
    close(fd_);
    throw syscallError("eventfd", "");
  }
  try {
    creates_ = std::make_unique<CreateWatch>();
  } catch (const std::runtime_error&) {
    creates_.reset();  // an older kernel: writes alone
  }
}

WriteTracker::~WriteTracker() {
  stop();
  if (fd_ >= 0) close(fd_);
  if (wakeFd_ >= 0) close(wakeFd_);
}

uint64_t WriteTracker::markFilesystem(const std::string& path) {
  int dirFd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirFd < 0) throw syscallError("open", path);
  struct stat st;
  int result = fstat(dirFd, &st);
  if (result == 0) result = fanotify_mark(fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, kMask, dirFd, nullptr);
  int error = errno;
  close(dirFd);
  errno = error;
  if (result != 0) throw syscallError("fanotify_mark FAN_MARK_FILESYSTEM", path);
  if (creates_) {
    try {
      creates_->markFilesystem(path);
    } catch (const std::runtime_error&) {
      creates_.reset();  // one group for every marked filesystem, or none
    }
  }
  return static_cast<uint64_t>(st.st_dev);
}

void WriteTracker::start() {
  if (started_) return;
  started_ = true;
  thread_ = std::thread(&WriteTracker::run, this);
}

void WriteTracker::stop() {
  if (!started_ || stopping_.exchange(true)) return;
  uint64_t one = 1;
  (void)!write(wakeFd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void WriteTracker::run() {
  alignas(fanotify_event_metadata) char buffer[64 * 1024];
  pollfd fds[3] = {{fd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}, {creates_ ? creates_->fd() : -1, POLLIN, 0}};
  while (!stopping_) {
    if (poll(fds, 3, -1) < 0 && errno != EINTR) break;
    if (stopping_) break;
    // Creations first: a file's FAN_CREATE is queued before its first FAN_MODIFY.
    if (creates_) {
      creates_->drain([this](uint64_t dev, uint64_t ino, int32_t pid) { created(dev, ino, pid, nowMs()); });
    }
    ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0) continue;
    auto* m = reinterpret_cast<fanotify_event_metadata*>(buffer);
    for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
      events_++;
      if (m->mask & FAN_Q_OVERFLOW) overflows_++;
      if (m->fd < 0) continue;
      handle(m->fd, m->pid);
      close(m->fd);
    }
  }
}

void WriteTracker::handle(int fd, int32_t pid) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
  int64_t time = nowMs();
  auto dev = static_cast<uint64_t>(st.st_dev), ino = static_cast<uint64_t>(st.st_ino);
  if (table_.touch(dev, ino, pid, time)) {
    recorded_++;
    return;
  }
  created(dev, ino, pid, time);
}

void WriteTracker::created(uint64_t dev, uint64_t ino, int32_t pid, int64_t time) {
  const FileWriter* known = writer(pid, time);
  if (known == nullptr) return;
  recorded_++;
  FileWriter w = *known;
  w.timeMs = time;
  table_.put(dev, ino, std::move(w));
}

const FileWriter* WriteTracker::writer(int32_t pid, int64_t timeMs) {
  if (timeMs - recentSinceMs_ > 1000 || recentWriters_.size() >= kRecentWriters) {
    recentWriters_.clear();
    recentSinceMs_ = timeMs;
  }
  auto known = recentWriters_.find(pid);
  if (known == recentWriters_.end()) {
    // The facts first: a writer such as cp exits right after its last write, and every
    // microsecond counts; the namespace after (0 when gone: then it cannot be told from a
    // container's, and is kept).
    ProcessFacts facts = processFacts(pid);
    uint64_t ns = mountNamespaceOf(pid);
    Recent recent{hostMountNamespace_ != 0 && ns == hostMountNamespace_, {}};
    if (!recent.host) {
      recent.writer.pid = pid;
      recent.writer.uid = facts.uid;
      recent.writer.exe = std::move(facts.exe);
      recent.writer.cmdline = std::move(facts.cmdline);
      if (recent.writer.cmdline.size() > kWriterCmdline) recent.writer.cmdline.resize(kWriterCmdline);
      if (recent.writer.exe.empty()) writerGone_++;
    }
    // A writer already gone is not remembered: a later event of a reused pid reads it again.
    if (!recent.host && recent.writer.exe.empty()) {
      lastGone_ = std::move(recent.writer);
      return &lastGone_;
    }
    known = recentWriters_.emplace(pid, std::move(recent)).first;
  }
  return known->second.host ? nullptr : &known->second.writer;
}

bool WriteTracker::writerOf(const std::string& path, FileWriter* out) const {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return table_.find(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), out);
}

WriteTrackerStats WriteTracker::stats() const {
  WriteTrackerStats s;
  s.events = events_;
  s.recorded = recorded_;
  s.overflows = overflows_;
  s.writerGone = writerGone_;
  s.evicted = table_.evicted();
  s.tracked = table_.size();
  return s;
}

}  // namespace driftguard
