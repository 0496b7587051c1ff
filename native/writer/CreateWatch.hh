// The creation of files, seen while their creator is still writing them: a second
// notification-only group reporting file ids (FAN_REPORT_DFID_NAME_TARGET, Linux >= 5.17)
// with FAN_CREATE on whole filesystems. A copy made with one sendfile() raises its only
// FAN_MODIFY after all its bytes are in, just before its writer exits; FAN_CREATE comes
// before the first byte. No file is opened per event: the target's file handle is
// resolved with open_by_handle_at(O_PATH) (CAP_DAC_READ_SEARCH, which the agent has).
// [tracker thread, after construction and marks on the JS thread]
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace driftguard {

class CreateWatch {
 public:
  // Throws std::runtime_error naming the syscall (a kernel before 5.17 refuses the flags).
  CreateWatch();
  ~CreateWatch();
  CreateWatch(const CreateWatch&) = delete;
  CreateWatch& operator=(const CreateWatch&) = delete;

  int fd() const { return fd_; }
  // [JS thread] Marks the filesystem holding dir; throws std::runtime_error.
  void markFilesystem(const std::string& dir);
  // [tracker thread] Reads what is queued; calls created(dev, ino, pid) per regular file created.
  void drain(const std::function<void(uint64_t dev, uint64_t ino, int32_t pid)>& created);

 private:
  struct Mount {
    uint64_t fsid;  // statfs f_fsid, as the events name the filesystem
    int dirFd;      // for open_by_handle_at
  };
  int fd_ = -1;
  std::vector<Mount> mounts_;
};

}  // namespace driftguard
