#include "fs/FsFunctions.hh"

#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "decide/Decide.hh"
#include "guard/JsConvert.hh"
#include "util/FileOps.hh"
#include "util/Sha256.hh"

namespace driftguard {

namespace {

// Runs on the libuv pool: open, sniff the first bytes, hash when asked to.
class HashFileWorker : public Napi::AsyncWorker {
 public:
  HashFileWorker(Napi::Env env, std::string path, uint64_t maxBytes, bool onlyIfProgram)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        maxBytes_(maxBytes),
        onlyIfProgram_(onlyIfProgram) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    std::string error;
    int fd = openRegularFile(path_, &error);
    if (fd < 0) return SetError(error);
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
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  uint64_t maxBytes_;
  bool onlyIfProgram_;
  const char* program_ = nullptr;
  bool hashed_ = false;
  HashResult result_;
};

Where whereFromName(Napi::Env env, const std::string& name) {
  if (name == "writable_layer") return Where::WritableLayer;
  if (name == "volume") return Where::Volume;
  if (name == "host") return Where::Host;
  if (name == "no_path") return Where::NoPath;
  if (name == "image_layer") return Where::ImageLayer;
  throw Napi::TypeError::New(env, "judge: where must be writable_layer, volume, host, no_path or image_layer");
}

}  // namespace

Napi::Value HashFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber() || (info.Length() > 2 && !info[2].IsBoolean())) {
    throw Napi::TypeError::New(env, "usage: hashFile(path: string, maxBytes: number, onlyIfProgram?: boolean)");
  }
  bool onlyIfProgram = info.Length() > 2 && info[2].As<Napi::Boolean>().Value();
  auto* worker = new HashFileWorker(env, info[0].As<Napi::String>().Utf8Value(),
                                    static_cast<uint64_t>(info[1].As<Napi::Number>().DoubleValue()), onlyIfProgram);
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value ReadXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "usage: readXattr(path: string, name: string)");
  }
  std::string path = info[0].As<Napi::String>().Utf8Value(), name = info[1].As<Napi::String>().Utf8Value();
  std::vector<char> value(256);
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) return env.Null();
    throw Napi::Error::New(env, "lgetxattr " + path + " " + name + ": " + strerror(errno));
  }
  return Napi::Buffer<char>::Copy(env, value.data(), static_cast<size_t>(n));
}

Napi::Value Judge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "usage: judge(candidate: object)");
  Napi::Object o = info[0].As<Napi::Object>();
  ContainerPolicy policy = policyFromJs(o.Get("policy").As<Napi::Object>(), "candidate.policy");
  Candidate c;
  c.where = whereFromName(env, o.Get("where").As<Napi::String>().Utf8Value());
  c.policy = &policy;
  std::string path = o.Get("containerPath").As<Napi::String>().Utf8Value();
  c.containerPath = path;
  ImageFile imageFile;
  Napi::Value image = o.Get("imageFile");
  if (image.IsObject()) {
    Napi::Object f = image.As<Napi::Object>();
    imageFile.executable = f.Get("executable").ToBoolean();
    imageFile.hashed = parseHex(f.Get("sha256").ToString().Utf8Value(), &imageFile.sha);
    c.imageFile = &imageFile;
  }
  c.imageHasOtherPath = o.Get("imageHasOtherPath").ToBoolean();
  std::string callerExe = o.Has("callerExe") ? o.Get("callerExe").ToString().Utf8Value() : "";
  std::string parentExe = o.Has("parentExe") ? o.Get("parentExe").ToString().Utf8Value() : "";
  c.callerExe = callerExe;
  c.parentExe = parentExe;
  Sha256 digest;
  Napi::Value d = o.Get("digest");
  if (d.IsString() && parseHex(d.As<Napi::String>().Utf8Value(), &digest)) c.digest = &digest;
  Decision decision = judge(c);
  Napi::Object out = Napi::Object::New(env);
  out.Set("verdict", verdictName(decision.verdict));
  out.Set("reason", reasonName(decision.reason));
  return out;
}

}  // namespace driftguard
