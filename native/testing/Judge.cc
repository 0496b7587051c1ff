#include "decide/Decide.hh"
#include "guard/JsConvert.hh"
#include "napi/JsArgs.hh"
#include "testing/TestExports.hh"

namespace driftguard {

namespace {
Where whereFromName(Napi::Env env, const std::string& name) {
  if (name == "writable_layer") return Where::WritableLayer;
  if (name == "volume") return Where::Volume;
  if (name == "host") return Where::Host;
  if (name == "no_path") return Where::NoPath;
  if (name == "image_layer") return Where::ImageLayer;
  js::throwTypeError(env, "candidate.where must be writable_layer, volume, host, no_path or image_layer");
}
}  // namespace

Napi::Value Judge(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1 && info[0].IsObject(), "usage: judge(candidate: JudgeCandidate)");
  Napi::Object o = info[0].As<Napi::Object>();
  ContainerPolicy policy = policyFromJs(js::object(o.Get("policy"), "candidate.policy"), "candidate.policy");
  Candidate c;
  c.where = whereFromName(env, js::stringField(o, "where", "candidate"));
  c.policy = &policy;
  std::string path = js::stringField(o, "containerPath", "candidate");
  c.containerPath = path;
  ImageFile imageFile;
  Napi::Value image = o.Get("imageFile");
  if (image.IsObject()) {
    Napi::Object f = image.As<Napi::Object>();
    imageFile.executable = f.Get("executable").ToBoolean();
    imageFile.hashed = parseHex(f.Get("sha256").ToString().Utf8Value(), &imageFile.sha);
    imageFile.size = js::integerField(f, "size", 0, "candidate.imageFile");
    c.imageFile = &imageFile;
  }
  c.imageHasOtherPath = o.Get("imageHasOtherPath").ToBoolean();
  c.imageUnknown = js::booleanField(o, "imageUnknown", false, "candidate");
  c.digestUnavailable = js::booleanField(o, "digestUnavailable", false, "candidate");
  c.size = js::integerField(o, "size", 0, "candidate");
  std::string caller = js::optionalStringField(o, "callerProgram", "", "candidate");
  c.callerProgram = caller;
  Sha256 digest;
  Napi::Value d = o.Get("digest");
  if (d.IsString() && parseHex(d.As<Napi::String>().Utf8Value(), &digest)) c.digest = &digest;
  Decision decision = judge(c);
  Napi::Object out = Napi::Object::New(env);
  out.Set("verdict", verdictName(decision.verdict));
  out.Set("reason", reasonName(decision.reason));
  out.Set("needsDigest", verdictNeedsDigest(c));
  out.Set("needsCaller", verdictNeedsCaller(c));
  return out;
}

}  // namespace driftguard
