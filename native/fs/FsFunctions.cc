#include "fs/FsFunctions.hh"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "napi/JsArgs.hh"
#include "util/FileOps.hh"
#include "util/OpenBeneath.hh"
#include "util/Sha256.hh"

namespace driftguard {

namespace {

// What to do with the file once it is open.
struct HashRequest {
  std::string root;  // "" : path is a plain path; otherwise path is opened beneath root
  std::string path;
  uint64_t maxBytes = 0;
  bool onlyIfProgram = false;  // hash only ELF / "#!" files
  bool sniffOnly = false;      // never hash: only the magic (files too large to hash)
  std::vector<std::string> onlyIfXattr;
};

// Runs on the libuv pool: open, stat, look for xattrs, sniff the first bytes, hash when
// asked to. Everything is read from the one open file, so that a file swapped at the path
// meanwhile cannot pair one file's identity with another's digest.
class HashFileWorker : public Napi::AsyncWorker {
 public:
  HashFileWorker(Napi::Env env, HashRequest request)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), request_(std::move(request)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string error;
    // stat_ is taken before reading: a write while the file is hashed moves its ctime past it.
    int fd = open(&error);
    if (fd < 0) {
      errno_ = errno;
      return SetError(error);
    }
    if (!request_.onlyIfXattr.empty()) {
      for (const std::string& name : request_.onlyIfXattr) {
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
    if (!request_.sniffOnly && (!request_.onlyIfProgram || program_ != nullptr)) {
      result_ = hashFd(fd, request_.maxBytes);
      hashed_ = true;
    }
    close(fd);
    if (hashed_ && !result_.ok) SetError(request_.path + ": " + result_.error);
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

  void OnError(const Napi::Error& e) override {
    // The errno name lets callers tell a vanished entry (ENOENT, ELOOP, ENOTDIR) from a failure.
    js::setErrnoCode(e, errno_);
    deferred_.Reject(e.Value());
  }

 private:
  int open(std::string* error) {
    if (request_.root.empty()) return openRegularFile(request_.path, error, &stat_);
    return openRegularFileBeneath(request_.root, request_.path, error, &stat_);
  }

  Napi::Promise::Deferred deferred_;
  HashRequest request_;
  struct stat stat_ = {};
  int errno_ = 0;
  std::string xattr_;
  const char* program_ = nullptr;
  bool hashed_ = false;
  HashResult result_;
};

Napi::Value queue(Napi::Env env, HashRequest request) {
  auto* worker = new HashFileWorker(env, std::move(request));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Value HashFile(const Napi::CallbackInfo& info) {
  const char* usage =
      "usage: hashFile(path: string, maxBytes: number, onlyIfProgram?: boolean, onlyIfXattr?: string[])";
  js::requireUsage(info,
                   info.Length() >= 2 && info[0].IsString() && info[1].IsNumber() &&
                       (info.Length() < 3 || info[2].IsBoolean() || info[2].IsUndefined()) &&
                       (info.Length() < 4 || info[3].IsArray() || info[3].IsUndefined()),
                   usage);
  HashRequest request;
  request.path = info[0].As<Napi::String>().Utf8Value();
  request.maxBytes = js::integer(info[1], "maxBytes");
  request.onlyIfProgram = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  if (info.Length() > 3 && info[3].IsArray()) request.onlyIfXattr = js::stringArray(info[3], "onlyIfXattr");
  return queue(info.Env(), std::move(request));
}

Napi::Value HashFileBeneath(const Napi::CallbackInfo& info) {
  js::requireUsage(info,
                   info.Length() == 3 && info[0].IsString() && info[1].IsString() && info[2].IsObject() &&
                       !info[0].As<Napi::String>().Utf8Value().empty(),
                   "usage: hashFileBeneath(root: string, rel: string, options: {maxBytes: number, onlyIfProgram?: "
                   "boolean, sniffOnly?: boolean, onlyIfXattr?: string[]})");
  Napi::Object options = info[2].As<Napi::Object>();
  HashRequest request;
  request.root = info[0].As<Napi::String>().Utf8Value();
  request.path = info[1].As<Napi::String>().Utf8Value();
  request.maxBytes = js::integer(options.Get("maxBytes"), "options.maxBytes");
  request.onlyIfProgram = js::booleanField(options, "onlyIfProgram", false, "options");
  request.sniffOnly = js::booleanField(options, "sniffOnly", false, "options");
  request.onlyIfXattr = js::optionalStringArray(options, "onlyIfXattr", "options");
  return queue(info.Env(), std::move(request));
}

}  // namespace driftguard
