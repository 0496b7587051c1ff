#include "writer/CreateWatch.hh"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace driftguard {

namespace {
std::runtime_error createError(const std::string& call, const std::string& input) {
  return std::runtime_error("write tracker: " + call + (input.empty() ? "" : " " + input) + ": " + strerror(errno));
}

uint64_t fsidOf(const fsid_t& id) {
  uint64_t out;
  static_assert(sizeof out == sizeof id, "fsid_t is two ints");
  memcpy(&out, &id, sizeof out);
  return out;
}
}  // namespace

CreateWatch::CreateWatch() {
  fd_ = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME_TARGET, O_RDONLY);
  if (fd_ < 0) throw createError("fanotify_init FAN_REPORT_DFID_NAME_TARGET", "(Linux >= 5.17)");
}

CreateWatch::~CreateWatch() {
  for (const Mount& m : mounts_) close(m.dirFd);
  if (fd_ >= 0) close(fd_);
}

void CreateWatch::markFilesystem(const std::string& dir) {
  int dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirFd < 0) throw createError("open", dir);
  struct statfs sfs;
  if (fstatfs(dirFd, &sfs) != 0 || fanotify_mark(fd_, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_CREATE, dirFd, nullptr)) {
    int error = errno;
    close(dirFd);
    errno = error;
    throw createError("fanotify_mark FAN_CREATE", dir);
  }
  mounts_.push_back({fsidOf(sfs.f_fsid), dirFd});
}

void CreateWatch::drain(const std::function<void(uint64_t, uint64_t, int32_t)>& created) {
  alignas(fanotify_event_metadata) char buffer[16 * 1024];
  for (;;) {
    ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0) return;
    auto* m = reinterpret_cast<fanotify_event_metadata*>(buffer);
    for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
      if (!(m->mask & FAN_CREATE) || (m->mask & FAN_ONDIR)) continue;
      // Info records follow the metadata: the directory and name, then the created file.
      size_t at = m->metadata_len;
      while (at + sizeof(fanotify_event_info_header) <= m->event_len) {
        auto* info = reinterpret_cast<fanotify_event_info_fid*>(reinterpret_cast<char*>(m) + at);
        if (info->hdr.len == 0) break;
        at += info->hdr.len;
        if (info->hdr.info_type != FAN_EVENT_INFO_TYPE_FID) continue;
        uint64_t fsid;
        memcpy(&fsid, &info->fsid, sizeof fsid);
        for (const Mount& mount : mounts_) {
          if (mount.fsid != fsid) continue;
          auto* handle = reinterpret_cast<file_handle*>(info->handle);
          int fd = open_by_handle_at(mount.dirFd, handle, O_PATH | O_CLOEXEC);
          struct stat st;
          if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
            created(static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), m->pid);
          }
          if (fd >= 0) close(fd);
          break;
        }
      }
    }
  }
}

}  // namespace driftguard
