#include "fs/DirStreamWrap.hh"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "napi/JsArgs.hh"
#include "util/OpenBeneath.hh"

namespace driftguard {

namespace {

// read() gives four numbers per entry in stats: st_mode, st_size, st_rdev, errno.
constexpr uint32_t kMaxSlice = 65536;

// A hostile layer may hold names that are not UTF-8; a JS string would replace their
// bytes and the path built from it would name nothing (or something else).
bool validUtf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

}  // namespace

Napi::Function DirStreamWrap::Define(Napi::Env env) {
  return DefineClass(env, "DirStream",
                     {InstanceMethod<&DirStreamWrap::Read>("read"), InstanceMethod<&DirStreamWrap::Xattr>("xattr"),
                      InstanceMethod<&DirStreamWrap::Close>("close")});
}

DirStreamWrap::DirStreamWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DirStreamWrap>(info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 2 && info[0].IsString() && info[1].IsString(),
                   "usage: new DirStream(root: string, rel: string)");
  std::string root = info[0].As<Napi::String>().Utf8Value(), rel = info[1].As<Napi::String>().Utf8Value();
  int fd = openBeneathRoot(root, rel, O_RDONLY | O_DIRECTORY);
  if (fd < 0) throw js::errnoError(env, "open " + rel + " beneath " + root, errno);
  dir_ = fdopendir(fd);
  if (dir_ == nullptr) {
    int err = errno;
    close(fd);
    throw js::errnoError(env, "fdopendir " + rel, err);
  }
}

DirStreamWrap::~DirStreamWrap() {
  if (dir_ != nullptr) closedir(dir_);  // a stream the walk dropped without close()
}

DIR* DirStreamWrap::dir(Napi::Env env) {
  if (dir_ == nullptr) throw Napi::Error::New(env, "DirStream: already closed");
  return dir_;
}

Napi::Value DirStreamWrap::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1, "usage: read(max: number)");
  const size_t max = js::integer(info[0], "max", 1, kMaxSlice);
  DIR* d = dir(env);
  std::vector<std::string> names;
  std::vector<double> stats;
  while (names.size() < max) {
    errno = 0;
    struct dirent* entry = readdir(d);
    if (entry == nullptr) {
      if (errno != 0) throw js::errnoError(env, "readdir", errno);
      break;
    }
    const char* name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    struct stat st = {};
    int err = 0;
    if (!validUtf8(reinterpret_cast<const unsigned char*>(name), strlen(name))) {
      err = EILSEQ;
    } else if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      err = errno;  // gone since readdir (ENOENT), or unreadable
      st = {};
    }
    names.emplace_back(err == EILSEQ ? std::string() : std::string(name));
    stats.insert(stats.end(), {static_cast<double>(err == 0 ? st.st_mode : 0), static_cast<double>(st.st_size),
                               static_cast<double>(st.st_rdev), static_cast<double>(err)});
  }
  if (names.empty()) return env.Null();
  Napi::Array jsNames = Napi::Array::New(env, names.size());
  for (uint32_t i = 0; i < names.size(); i++) jsNames.Set(i, Napi::String::New(env, names[i]));
  Napi::Float64Array jsStats = Napi::Float64Array::New(env, stats.size());
  std::memcpy(jsStats.Data(), stats.data(), stats.size() * sizeof(double));
  Napi::Object out = Napi::Object::New(env);
  out.Set("names", jsNames);
  out.Set("stats", jsStats);
  return out;
}

Napi::Value DirStreamWrap::Xattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsString(), "usage: xattr(name: string)");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  char value[256];
  ssize_t n = fgetxattr(dirfd(dir(env)), name.c_str(), value, sizeof value);
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) return env.Null();
    throw js::errnoError(env, "fgetxattr " + name, errno);
  }
  return Napi::Buffer<char>::Copy(env, value, static_cast<size_t>(n));
}

Napi::Value DirStreamWrap::Close(const Napi::CallbackInfo& info) {
  if (dir_ != nullptr) closedir(dir_);
  dir_ = nullptr;
  return info.Env().Undefined();
}

}  // namespace driftguard
