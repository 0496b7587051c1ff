#include "fs/FileLock.hh"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "napi/JsArgs.hh"

namespace driftguard {

Napi::Value HoldFileLock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsString(), "usage: holdFileLock(path: string)");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw Napi::Error::New(env, "open " + path + ": " + strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    throw Napi::Error::New(env, "flock " + path + ": " + strerror(error));
  }
  // Never closed: the lock lasts as long as the process (O_CLOEXEC: not its children).
  return Napi::Boolean::New(env, true);
}

}  // namespace driftguard
