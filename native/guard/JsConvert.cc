#include "guard/JsConvert.hh"

namespace driftguard {

namespace {
// ImageTable flags, one byte per file (see src/native/binding.ts).
constexpr uint8_t kFlagExecutable = 1, kFlagHashed = 2;

Napi::Value field(const Napi::Object& o, const char* name) {
  return o.Get(name);
}

[[noreturn]] void fail(Napi::Env env, const std::string& what) {
  throw Napi::TypeError::New(env, what);
}

std::string stringField(const Napi::Object& o, const char* name, const std::string& where, bool optional = false) {
  Napi::Value v = field(o, name);
  if (v.IsUndefined() && optional) return "";
  if (!v.IsString()) fail(o.Env(), where + "." + name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double numberField(const Napi::Object& o, const char* name, double fallback, double min, double max,
                   const std::string& where) {
  Napi::Value v = field(o, name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) fail(o.Env(), where + "." + name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= max)) {
    fail(o.Env(), where + "." + name + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return d;
}

std::vector<std::string> stringArray(const Napi::Value& v, const std::string& where) {
  if (!v.IsArray()) fail(v.Env(), where + " must be an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) fail(v.Env(), where + "[" + std::to_string(i) + "] must be a string");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Object objectAt(const Napi::Value& v, const std::string& where) {
  if (!v.IsObject()) fail(v.Env(), where + " must be an object");
  return v.As<Napi::Object>();
}

Mode modeFromJs(const Napi::Object& o, const std::string& where) {
  std::string mode = stringField(o, "mode", where);
  if (mode == "enforce") return Mode::Enforce;
  if (mode == "audit") return Mode::Audit;
  if (mode == "disabled") return Mode::Disabled;
  fail(o.Env(), where + ".mode must be 'enforce', 'audit' or 'disabled', not '" + mode + "'");
}

std::shared_ptr<const ImageTable> imageFromJs(const Napi::Object& o, const std::string& where) {
  auto image = std::make_shared<ImageTable>();
  std::vector<std::string> files = stringArray(field(o, "files"), where + ".files");
  Napi::Value digests = field(o, "digests"), flags = field(o, "flags");
  if (!digests.IsBuffer() || digests.As<Napi::Buffer<uint8_t>>().Length() != files.size() * 32) {
    fail(o.Env(), where + ".digests must be a Buffer of 32 bytes per file");
  }
  if (!flags.IsTypedArray() || flags.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      flags.As<Napi::Uint8Array>().ElementLength() != files.size()) {
    fail(o.Env(), where + ".flags must be a Uint8Array with one entry per file");
  }
  const uint8_t* d = digests.As<Napi::Buffer<uint8_t>>().Data();
  const uint8_t* x = flags.As<Napi::Uint8Array>().Data();
  for (size_t i = 0; i < files.size(); i++) {
    ImageFile file;
    std::copy(d + 32 * i, d + 32 * (i + 1), file.sha.begin());
    file.executable = (x[i] & kFlagExecutable) != 0;
    file.hashed = (x[i] & kFlagHashed) != 0;
    image->addFile(std::move(files[i]), file);
  }
  for (const std::string& path : stringArray(field(o, "otherPaths"), where + ".otherPaths")) image->addOtherPath(path);
  return image;
}

VolumeSpec volumeFromJs(const Napi::Object& o, const std::string& where) {
  VolumeSpec volume;
  volume.source = stringField(o, "source", where);
  volume.dev = static_cast<uint64_t>(numberField(o, "dev", 0, 0, 9007199254740991.0, where));
  volume.destination = stringField(o, "destination", where);
  if (volume.source.empty() && volume.dev == 0) fail(o.Env(), where + " needs a source or a dev");
  return volume;
}

ContainerSpec containerFromJs(const Napi::Object& o, const std::string& where) {
  ContainerSpec spec;
  spec.id = stringField(o, "id", where);
  spec.upperDir = stringField(o, "upperDir", where);
  spec.lowerDirs = stringArray(field(o, "lowerDirs"), where + ".lowerDirs");
  spec.cgroupLeaf = stringField(o, "cgroupLeaf", where);
  spec.imageKey = stringField(o, "imageKey", where);
  Napi::Value failed = field(o, "baselineFailed");
  spec.baselineFailed = failed.IsBoolean() && failed.As<Napi::Boolean>().Value();
  spec.policy = policyFromJs(objectAt(field(o, "policy"), where + ".policy"), where + ".policy");
  Napi::Value volumes = field(o, "volumes");
  if (!volumes.IsArray()) fail(o.Env(), where + ".volumes must be an array");
  Napi::Array a = volumes.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string at = where + ".volumes[" + std::to_string(i) + "]";
    spec.volumes.push_back(volumeFromJs(objectAt(a.Get(i), at), at));
  }
  return spec;
}
}  // namespace

ContainerPolicy policyFromJs(const Napi::Object& o, const std::string& where) {
  ContainerPolicy policy;
  policy.name = stringField(o, "name", where);
  policy.mode = modeFromJs(o, where);
  policy.allowPathGlobs = stringArray(field(o, "allowPaths"), where + ".allowPaths");
  auto optionalGlobs = [&](const char* name) {
    Napi::Value v = field(o, name);
    return v.IsUndefined() ? std::vector<std::string>{} : stringArray(v, where + "." + name);
  };
  policy.allowParentGlobs = optionalGlobs("allowParents");
  policy.allowVolumeGlobs = optionalGlobs("allowVolumes");
  policy.denyPathGlobs = optionalGlobs("denyPaths");
  for (const std::string& hex : stringArray(field(o, "allowDigests"), where + ".allowDigests")) {
    Sha256 digest;
    if (!parseHex(hex, &digest)) fail(o.Env(), where + ".allowDigests: '" + hex + "' is not a hex SHA-256");
    policy.allowDigests.insert(digest);
  }
  return policy;
}

GuardOptions guardOptionsFromJs(const Napi::Object& o) {
  GuardOptions options;
  const std::string where = "options";
  options.deadline =
      std::chrono::milliseconds(static_cast<int64_t>(numberField(o, "deadlineMs", 2000, 10, 600000, where)));
  std::string failMode = field(o, "failMode").IsUndefined() ? "open" : stringField(o, "failMode", where);
  if (failMode != "open" && failMode != "closed") fail(o.Env(), "options.failMode must be 'open' or 'closed'");
  options.failOpen = failMode == "open";
  options.holdLimit = static_cast<size_t>(numberField(o, "holdLimit", 4096, 1, 1 << 20, where));
  options.hashWorkers = static_cast<size_t>(numberField(o, "hashWorkers", 2, 1, 64, where));
  options.maxHashBytes = static_cast<uint64_t>(numberField(o, "maxHashBytes", 1 << 30, 1, 9007199254740991.0, where));
  options.hashCacheEntries = static_cast<size_t>(numberField(o, "hashCacheEntries", 65536, 16, 1 << 24, where));
  std::string identity = field(o, "processIdentity").IsUndefined() ? "auto" : stringField(o, "processIdentity", where);
  if (identity != "auto" && identity != "mount-namespace") {
    fail(o.Env(), "options.processIdentity must be 'auto' or 'mount-namespace'");
  }
  options.processIdentityByNamespace = identity == "mount-namespace";
  return options;
}

TablesChange tablesChangeFromJs(const Napi::Object& o) {
  TablesChange change;
  Napi::Value v = field(o, "putImages");
  if (!v.IsUndefined()) {
    if (!v.IsArray()) fail(o.Env(), "change.putImages must be an array");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      std::string at = "change.putImages[" + std::to_string(i) + "]";
      Napi::Object item = objectAt(a.Get(i), at);
      change.putImages.emplace_back(stringField(item, "key", at),
                                    imageFromJs(objectAt(field(item, "table"), at + ".table"), at + ".table"));
    }
  }
  if (!(v = field(o, "dropImages")).IsUndefined()) change.dropImages = stringArray(v, "change.dropImages");
  v = field(o, "putContainers");
  if (!v.IsUndefined()) {
    if (!v.IsArray()) fail(o.Env(), "change.putContainers must be an array");
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      std::string at = "change.putContainers[" + std::to_string(i) + "]";
      change.putContainers.push_back(containerFromJs(objectAt(a.Get(i), at), at));
    }
  }
  if (!(v = field(o, "removeContainers")).IsUndefined())
    change.removeContainers = stringArray(v, "change.removeContainers");
  if (!(v = field(o, "snapshotRoots")).IsUndefined()) change.snapshotRoots = stringArray(v, "change.snapshotRoots");
  if (!(v = field(o, "volumeRoots")).IsUndefined()) change.volumeRoots = stringArray(v, "change.volumeRoots");
  if (!(v = field(o, "containerCgroupMarkers")).IsUndefined()) {
    change.containerCgroupMarkers = stringArray(v, "change.containerCgroupMarkers");
  }
  if (!field(o, "hostMountNamespace").IsUndefined()) {
    change.hostMountNamespace =
        static_cast<uint64_t>(numberField(o, "hostMountNamespace", 0, 0, 9007199254740991.0, "change"));
  }
  return change;
}

Napi::Object statsToJs(Napi::Env env, const GuardStats& s) {
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* name, uint64_t value) { o.Set(name, Napi::Number::New(env, static_cast<double>(value))); };
  set("events", s.events);
  set("allowedHost", s.allowedHost);
  set("allowedImage", s.allowedImage);
  set("allowedContainer", s.allowedContainer);
  set("blocked", s.blocked);
  set("audited", s.audited);
  set("heldTotal", s.heldTotal);
  set("holdOverflow", s.holdOverflow);
  set("deadlineExceeded", s.deadlineExceeded);
  set("hashed", s.hashed);
  set("hashErrors", s.hashErrors);
  set("hashCacheHits", s.hashCacheHits);
  set("hashCacheMisses", s.hashCacheMisses);
  set("stalledDrained", s.stalledDrained);
  set("verdictsDropped", s.verdictsDropped);
  set("verdictsDelivered", s.verdictsDelivered);
  set("pendingNow", s.pendingNow);
  set("heldNow", s.heldNow);
  set("marks", s.marks);
  set("tablesGeneration", s.tablesGeneration);
  set("containers", s.containers);
  set("images", s.images);
  o.Set("processIdentity", Napi::String::New(env, s.ownerByCgroupId ? "cgroup-id" : "mount-namespace"));
  Napi::Array latency = Napi::Array::New(env, kLatencyBuckets);
  for (size_t i = 0; i < kLatencyBuckets; i++) {
    latency.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(s.latencyMicrosLog2[i])));
  }
  o.Set("latencyMicrosLog2", latency);
  return o;
}

}  // namespace driftguard
