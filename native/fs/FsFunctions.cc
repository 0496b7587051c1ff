#include "fs/FsFunctions.hh"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "napi/JsArgs.hh"
#include "util/FileOps.hh"
#include "util/Sha256.hh"

namespace driftguard {

namespace {

// Runs on the libuv pool: open, stat, look for xattrs, sniff the first bytes, hash when
// asked to. Everything is read from the one open file, so that a file swapped at the path
// meanwhile cannot pair one file's identity with another's digest.
class HashFileWorker : public Napi::AsyncWorker {
 public:
  HashFileWorker(Napi::Env env, std::string path, uint64_t maxBytes, bool onlyIfProgram,
                 std::vector<std::string> onlyIfXattr)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        maxBytes_(maxBytes),
        onlyIfProgram_(onlyIfProgram),
        onlyIfXattr_(std::move(onlyIfXattr)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string error;
    // stat_ is taken before reading: a write while the file is hashed moves its ctime past it.
    int fd = openRegularFile(path_, &error, &stat_);
    if (fd < 0) return SetError(error);
    if (!onlyIfXattr_.empty()) {
      for (const std::string& name : onlyIfXattr_) {
        if (fgetxattr(fd, name.c_str(), nullptr, 0) >= 0) {
          xattr_ = name;
          break;
        }
      }
      if (xattr_.empty()) return (void)close(fd);
    }
    unsigned char magic[4] = {0, 0, 0, 0};
    ssize_t n = pread(fd, magic, sizeof magic, 0);
    if (n >= 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F') program_ = "elf";
    if (n >= 2 && magic[0] == '#' && magic[1] == '!') program_ = "script";
    if (!onlyIfProgram_ || program_ != nullptr) {
      result_ = hashFd(fd, maxBytes_);
      hashed_ = true;
    }
    close(fd);
    if (hashed_ && !result_.ok) SetError(path_ + ": " + result_.error);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("sha256", hashed_ ? Napi::Value(Napi::String::New(env, hexOf(result_.digest))) : env.Null());
    out.Set("bytes", Napi::Number::New(env, static_cast<double>(result_.bytes)));
    out.Set("program", program_ ? Napi::Value(Napi::String::New(env, program_)) : env.Null());
    out.Set("xattr", xattr_.empty() ? env.Null() : Napi::Value(Napi::String::New(env, xattr_)));
    out.Set("dev", Napi::Number::New(env, static_cast<double>(stat_.st_dev)));
    out.Set("ino", Napi::Number::New(env, static_cast<double>(stat_.st_ino)));
    out.Set("ctimeSec", Napi::Number::New(env, static_cast<double>(stat_.st_ctim.tv_sec)));
    out.Set("ctimeNsec", Napi::Number::New(env, static_cast<double>(stat_.st_ctim.tv_nsec)));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  uint64_t maxBytes_;
  bool onlyIfProgram_;
  std::vector<std::string> onlyIfXattr_;
  struct stat stat_ = {};
  std::string xattr_;
  const char* program_ = nullptr;
  bool hashed_ = false;
  HashResult result_;
};

}  // namespace

Napi::Value HashFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage =
      "usage: hashFile(path: string, maxBytes: number, onlyIfProgram?: boolean, onlyIfXattr?: string[])";
  js::requireUsage(info,
                   info.Length() >= 2 && info[0].IsString() && info[1].IsNumber() &&
                       (info.Length() < 3 || info[2].IsBoolean() || info[2].IsUndefined()) &&
                       (info.Length() < 4 || info[3].IsArray() || info[3].IsUndefined()),
                   usage);
  uint64_t maxBytes = js::integer(info[1], "maxBytes");
  bool onlyIfProgram = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  std::vector<std::string> onlyIfXattr;
  if (info.Length() > 3 && info[3].IsArray()) {
    Napi::Array names = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < names.Length(); i++) {
      Napi::Value name = names.Get(i);
      js::requireUsage(info, name.IsString(), usage);
      onlyIfXattr.push_back(name.As<Napi::String>().Utf8Value());
    }
  }
  auto* worker =
      new HashFileWorker(env, info[0].As<Napi::String>().Utf8Value(), maxBytes, onlyIfProgram, std::move(onlyIfXattr));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value ReadXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 2 && info[0].IsString() && info[1].IsString(),
                   "usage: readXattr(path: string, name: string)");
  std::string path = info[0].As<Napi::String>().Utf8Value(), name = info[1].As<Napi::String>().Utf8Value();
  std::vector<char> value(256);
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) return env.Null();
    throw Napi::Error::New(env, "lgetxattr " + path + " " + name + ": " + strerror(errno));
  }
  return Napi::Buffer<char>::Copy(env, value.data(), static_cast<size_t>(n));
}

}  // namespace driftguard
