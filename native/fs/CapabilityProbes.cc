#include "fs/CapabilityProbes.hh"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "napi/JsArgs.hh"

namespace driftguard {

namespace {

// An Error whose message names the call and the object, and whose code is the errno name.
Napi::Error probeError(Napi::Env env, const std::string& call, int error) {
  Napi::Error e = Napi::Error::New(env, call + ": " + strerror(error));
  const char* name = strerrorname_np(error);
  e.Set("code", Napi::String::New(env, name ? name : std::to_string(error)));
  return e;
}

}  // namespace

Napi::Value ProbeFanotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // The flags of FanotifySource: a permission-class group is what needs CAP_SYS_ADMIN.
  int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (fd < 0) throw probeError(env, "fanotify_init", errno);
  close(fd);
  return env.Undefined();
}

Napi::Value ProbeFileHandle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsString(), "usage: probeFileHandle(dir: string)");
  const std::string dir = info[0].As<Napi::String>().Utf8Value();
  // Read-only, not O_PATH: open_by_handle_at refuses an O_PATH mount fd (EBADF).
  int dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) throw probeError(env, "open " + dir, errno);
  alignas(struct file_handle) char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
  auto* handle = reinterpret_cast<struct file_handle*>(storage);
  handle->handle_bytes = MAX_HANDLE_SZ;
  int mountId = 0;
  if (name_to_handle_at(dirFd, "", handle, &mountId, AT_EMPTY_PATH) != 0) {
    int error = errno;
    close(dirFd);
    throw probeError(env, "name_to_handle_at " + dir, error);
  }
  int opened = open_by_handle_at(dirFd, handle, O_PATH | O_CLOEXEC);
  int error = errno;
  close(dirFd);
  if (opened < 0) throw probeError(env, "open_by_handle_at " + dir, error);
  close(opened);
  return env.Undefined();
}

}  // namespace driftguard
