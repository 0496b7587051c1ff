#include "guard/JsConvert.hh"

#include "napi/JsArgs.hh"

namespace driftguard {

namespace {
// ImageTable flags, one byte per file (see src/native/binding.ts).
constexpr uint8_t kFlagExecutable = 1, kFlagHashed = 2;

std::shared_ptr<const ImageTable> imageFromJs(const Napi::Object& o, const std::string& where) {
  auto image = std::make_shared<ImageTable>();
  std::vector<std::string> files = js::stringArray(o.Get("files"), where + ".files");
  Napi::Value digests = o.Get("digests"), flags = o.Get("flags"), sizes = o.Get("sizes");
  if (!digests.IsBuffer() || digests.As<Napi::Buffer<uint8_t>>().Length() != files.size() * 32) {
    js::throwTypeError(o.Env(), where + ".digests must be a Buffer of 32 bytes per file");
  }
  if (!flags.IsTypedArray() || flags.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
      flags.As<Napi::Uint8Array>().ElementLength() != files.size()) {
    js::throwTypeError(o.Env(), where + ".flags must be a Uint8Array with one entry per file");
  }
  if (!sizes.IsTypedArray() || sizes.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      sizes.As<Napi::Float64Array>().ElementLength() != files.size()) {
    js::throwTypeError(o.Env(), where + ".sizes must be a Float64Array with one entry per file");
  }
  const uint8_t* d = digests.As<Napi::Buffer<uint8_t>>().Data();
  const uint8_t* x = flags.As<Napi::Uint8Array>().Data();
  const double* z = sizes.As<Napi::Float64Array>().Data();
  for (size_t i = 0; i < files.size(); i++) {
    // A size decides "modified" without a hash: it must be exact.
    if (!(z[i] >= 0 && z[i] <= static_cast<double>(js::kMaxSafeInteger) &&
          z[i] == static_cast<double>(static_cast<uint64_t>(z[i])))) {
      js::throwTypeError(o.Env(), where + ".sizes[" + std::to_string(i) + "] must be a byte count (an integer >= 0)");
    }
    ImageFile file;
    std::copy(d + 32 * i, d + 32 * (i + 1), file.sha.begin());
    file.size = static_cast<uint64_t>(z[i]);
    file.executable = (x[i] & kFlagExecutable) != 0;
    file.hashed = (x[i] & kFlagHashed) != 0;
    image->addFile(std::move(files[i]), file);
  }
  for (const std::string& path : js::stringArray(o.Get("otherPaths"), where + ".otherPaths")) image->addOtherPath(path);
  return image;
}

VolumeSpec volumeFromJs(const Napi::Object& o, const std::string& where) {
  VolumeSpec volume;
  volume.source = js::stringField(o, "source", where);
  volume.dev = js::integerField(o, "dev", 0, where);
  volume.destination = js::stringField(o, "destination", where);
  if (volume.source.empty() && volume.dev == 0) js::throwTypeError(o.Env(), where + " needs a source or a dev");
  return volume;
}

ContainerSpec containerFromJs(const Napi::Object& o, const std::string& where) {
  ContainerSpec spec;
  spec.id = js::stringField(o, "id", where);
  spec.upperDir = js::stringField(o, "upperDir", where);
  spec.lowerDirs = js::stringArray(o.Get("lowerDirs"), where + ".lowerDirs");
  spec.cgroupLeaf = js::stringField(o, "cgroupLeaf", where);
  spec.imageKey = js::stringField(o, "imageKey", where);
  spec.baselineFailed = js::booleanField(o, "baselineFailed", false, where);
  spec.rootDev = js::integerField(o, "rootDev", 0, where);
  spec.policy = policyFromJs(js::object(o.Get("policy"), where + ".policy"), where + ".policy");
  spec.volumes = js::objects(js::array(o.Get("volumes"), where + ".volumes"), where + ".volumes", volumeFromJs);
  return spec;
}

// One of the names in choices (the first is the default when undefined).
std::string choiceField(const Napi::Object& o, const char* name, const std::string& where,
                        std::initializer_list<const char*> choices) {
  std::string value = js::optionalStringField(o, name, *choices.begin(), where);
  std::string names;
  for (const char* choice : choices) {
    if (value == choice) return value;
    names += std::string(names.empty() ? "" : " or ") + "\"" + choice + "\"";
  }
  js::throwTypeError(o.Env(), where + "." + name + " must be " + names + ", not \"" + value + "\"");
}
}  // namespace

ContainerPolicy policyFromJs(const Napi::Object& o, const std::string& where) {
  ContainerPolicy policy;
  policy.name = js::stringField(o, "name", where);
  policy.mode = js::modeField(o, "mode", where);
  policy.allowPathGlobs = js::stringArray(o.Get("allowPaths"), where + ".allowPaths");
  policy.allowParentGlobs = js::optionalStringArray(o, "allowParents", where);
  policy.allowVolumeGlobs = js::optionalStringArray(o, "allowVolumes", where);
  policy.denyPathGlobs = js::optionalStringArray(o, "denyPaths", where);
  policy.captureMaxBytes = js::integerField(o, "captureMaxBytes", 0, where, 0, kCaptureMaxBytesLimit);
  for (const std::string& hex : js::stringArray(o.Get("allowDigests"), where + ".allowDigests")) {
    Sha256 digest;
    if (!parseHex(hex, &digest))
      js::throwTypeError(o.Env(), where + ".allowDigests: '" + hex + "' is not a hex SHA-256");
    policy.allowDigests.insert(digest);
  }
  return policy;
}

GuardOptions guardOptionsFromJs(const Napi::Object& o) {
  GuardOptions options;
  const std::string where = "options";
  options.deadline = std::chrono::milliseconds(js::integerField(o, "deadlineMs", 2000, where, 10, 600000));
  // Before the deadline, with room for the watchdog's tick (a quarter of it at most).
  uint64_t latestHash = static_cast<uint64_t>(options.deadline.count()) * 3 / 4;
  options.hashDeadline =
      std::chrono::milliseconds(js::integerField(o, "hashDeadlineMs", latestHash, where, 5, latestHash));
  options.failOpen = choiceField(o, "failMode", where, {"open", "closed"}) == "open";
  options.holdLimit = js::integerField(o, "holdLimit", 4096, where, 1, 1 << 20);
  options.hashWorkers = js::integerField(o, "hashWorkers", 2, where, 1, 64);
  options.maxHashBytes = js::integerField(o, "maxHashBytes", 1 << 30, where, 1);
  options.hashCacheEntries = js::integerField(o, "hashCacheEntries", 65536, where, 16, 1 << 24);
  options.findingHashQueue = js::integerField(o, "findingHashQueue", 256, where, 0, 1 << 20);
  options.ignoreMarkLimit = js::integerField(o, "ignoreMarkLimit", 16384, where, 0, 1 << 22);
  options.sampleBytesInFlight =
      js::integerField(o, "sampleBytesInFlight", 128ull << 20, where, kCaptureMaxBytesLimit, 1ull << 34);
  options.ignoreMarksStartPaused = js::booleanField(o, "ignoreMarksStartPaused", false, where);
  options.processIdentityByNamespace =
      choiceField(o, "processIdentity", where, {"auto", "mount-namespace"}) == "mount-namespace";
  return options;
}

TablesChange tablesChangeFromJs(const Napi::Object& o) {
  TablesChange change;
  const std::string where = "change";
  if (Napi::Value v = o.Get("putImages"); !v.IsUndefined()) {
    change.putImages = js::objects(
        js::array(v, "change.putImages"), "change.putImages", [](const Napi::Object& item, const std::string& at) {
          return std::pair{js::stringField(item, "key", at),
                           imageFromJs(js::object(item.Get("table"), at + ".table"), at + ".table")};
        });
  }
  change.dropImages = js::optionalStringArray(o, "dropImages", where);
  if (Napi::Value v = o.Get("putContainers"); !v.IsUndefined()) {
    change.putContainers = js::objects(js::array(v, "change.putContainers"), "change.putContainers", containerFromJs);
  }
  change.removeContainers = js::optionalStringArray(o, "removeContainers", where);
  // Absent: unchanged; present (even empty): replaced.
  for (auto [name, list] :
       {std::pair{"snapshotRoots", &change.snapshotRoots}, std::pair{"volumeRoots", &change.volumeRoots},
        std::pair{"containerCgroupMarkers", &change.containerCgroupMarkers}}) {
    if (!o.Get(name).IsUndefined()) *list = js::stringArray(o.Get(name), where + "." + name);
  }
  if (!o.Get("hostRootPrefix").IsUndefined()) change.hostRootPrefix = js::stringField(o, "hostRootPrefix", where);
  if (!o.Get("loadedDenyPaths").IsUndefined()) {
    change.loadedDenyPaths = js::stringArray(o.Get("loadedDenyPaths"), where + ".loadedDenyPaths");
  }
  if (!o.Get("canaryDev").IsUndefined()) change.canaryDev = js::integerField(o, "canaryDev", 0, where);
  if (!o.Get("hostMountNamespace").IsUndefined()) {
    change.hostMountNamespace = js::integerField(o, "hostMountNamespace", 0, where);
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
  set("procReadsAbandoned", s.procReadsAbandoned);
  set("verdictsDropped", s.verdictsDropped);
  set("verdictsDelivered", s.verdictsDelivered);
  set("unverified", s.unverified);
  set("leaseRefused", s.leaseRefused);
  set("canaryRefused", s.canaryRefused);
  set("racyNotCached", s.racyNotCached);
  set("commitHolds", s.commitHolds);
  set("commitHoldTimeouts", s.commitHoldTimeouts);
  set("findingHashes", s.findingHashes);
  set("findingHashesSkipped", s.findingHashesSkipped);
  set("pendingNow", s.pendingNow);
  set("heldNow", s.heldNow);
  set("marks", s.marks);
  set("ignoreMarks", s.ignoreMarks);
  set("ignoreMarksAdded", s.ignoreMarksAdded);
  set("ignoreMarkEvictions", s.ignoreMarkEvictions);
  set("ignoreMarkFlushes", s.ignoreMarkFlushes);
  set("ignoreMarkFailures", s.ignoreMarkFailures);
  set("ignoreMarkLimit", s.ignoreMarkLimit);
  o.Set("ignoreMarksPaused", Napi::Boolean::New(env, s.ignoreMarksPaused));
  set("ignoreMarkPauses", s.ignoreMarkPauses);
  set("ignoreMarkResumes", s.ignoreMarkResumes);
  set("runtimeExecs", s.runtimeExecs);
  set("runtimesWatched", s.runtimesWatched);
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

Napi::Object verdictToJs(Napi::Env env, const VerdictRecord& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("timeMs", Napi::Number::New(env, static_cast<double>(r.timeMs)));
  o.Set("pid", Napi::Number::New(env, r.pid));
  o.Set("ppid", Napi::Number::New(env, r.ppid));
  o.Set("uid", Napi::Number::New(env, static_cast<double>(r.uid)));
  o.Set("containerId", Napi::String::New(env, r.containerId));
  o.Set("path", Napi::String::New(env, r.path));
  o.Set("hostPath", Napi::String::New(env, r.hostPath));
  o.Set("reason", Napi::String::New(env, reasonName(r.reason)));
  o.Set("verdict", Napi::String::New(env, verdictName(r.verdict)));
  // fanotify answers before the exec runs: a blocked exec is always a refusal (EPERM).
  o.Set("action",
        Napi::String::New(env, actionName(r.verdict == Verdict::Blocked ? Action::Refused : Action::Audited)));
  o.Set("mode", Napi::String::New(env, modeName(r.mode)));
  o.Set("sha256", Napi::String::New(env, r.sha256Hex));
  o.Set("copyOf", Napi::String::New(env, r.copyOf));
  o.Set("policy", Napi::String::New(env, r.policy));
  o.Set("exe", Napi::String::New(env, r.exe));
  o.Set("cmdline", Napi::String::New(env, r.cmdline));
  o.Set("cmdlineUnread", Napi::Boolean::New(env, r.cmdlineUnread));
  o.Set("parentExe", Napi::String::New(env, r.parentExe));
  o.Set("capture", Napi::String::New(env, captureName(r.capture)));
  if (r.sample) o.Set("sample", Napi::Buffer<uint8_t>::Copy(env, r.sample->bytes.data(), r.sample->bytes.size()));
  return o;
}

}  // namespace driftguard
