#include "fs/ReadBeneath.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "napi/JsArgs.hh"
#include "util/FileOps.hh"
#include "util/OpenBeneath.hh"

namespace driftguard {

namespace {

constexpr uint64_t kMaxReadBeneath = 64 * 1024;

// The bytes of rel beneath root when it is a regular file of at most maxBytes; false
// otherwise. root itself is followed (the agent's own path, typically the magic link
// /proc/<pid>/root); below it openBeneath follows nothing.
bool readBeneath(const std::string& root, const std::string& rel, uint64_t maxBytes, std::vector<char>* out) {
  int rootFd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) return false;
  int pathFd = openBeneath(rootFd, rel, O_PATH);
  close(rootFd);
  if (pathFd < 0) return false;
  std::string error;
  struct stat st;
  int fd = reopenRegularFile(pathFd, rel, &error, &st);
  if (fd < 0) return false;
  bool ok = static_cast<uint64_t>(st.st_size) <= maxBytes;
  size_t got = 0;
  if (ok) {
    out->resize(maxBytes + 1);
    for (;;) {
      ssize_t n = read(fd, out->data() + got, out->size() - got);
      if (n <= 0) break;
      got += static_cast<size_t>(n);
      if (got == out->size()) break;
    }
    ok = got <= maxBytes;  // else it grew since fstat
  }
  close(fd);
  out->resize(ok ? got : 0);
  return ok;
}

}  // namespace

Napi::Value ReadFileBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 3 && info[0].IsString() && info[1].IsString() && info[2].IsNumber(),
                   "usage: readFileBeneath(root: string, path: string, maxBytes: number <= 65536)");
  uint64_t maxBytes = js::integer(info[2], "readFileBeneath maxBytes", 0, kMaxReadBeneath);
  std::string rel = info[1].As<Napi::String>().Utf8Value();
  size_t skip = rel.find_first_not_of('/');
  std::vector<char> bytes;
  if (!readBeneath(info[0].As<Napi::String>().Utf8Value(), skip == std::string::npos ? "" : rel.substr(skip), maxBytes,
                   &bytes)) {
    return env.Null();
  }
  return Napi::Buffer<char>::Copy(env, bytes.data(), bytes.size());
}

}  // namespace driftguard
