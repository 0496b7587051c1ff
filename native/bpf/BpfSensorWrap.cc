#include "bpf/BpfSensorWrap.hh"

#include <cmath>
#include <stdexcept>
#include <string>

namespace driftguard {

namespace {
constexpr const char* kUsage = "usage: new BpfSensor(options: BpfSensorOptions, onFindings: (batch) => void)";

[[noreturn]] void usage(Napi::Env env, const std::string& what) {
  throw Napi::TypeError::New(env, what);
}

uint64_t integer(const Napi::Value& v, const std::string& where) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)) {
    usage(v.Env(), where + " must be a non-negative integer");
  }
  return static_cast<uint64_t>(d);
}

uint64_t integerField(const Napi::Object& o, const char* name, uint64_t fallback, const std::string& where) {
  Napi::Value v = o.Get(name);
  return v.IsUndefined() ? fallback : integer(v, where + "." + name);
}

bool boolField(const Napi::Object& o, const char* name, bool fallback, const std::string& where) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) usage(o.Env(), where + "." + name + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

uint8_t modeField(const Napi::Object& o, const char* name, const std::string& where) {
  Napi::Value v = o.Get(name);
  std::string mode = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (mode == "disabled") return 0;
  if (mode == "audit") return 1;
  if (mode == "enforce") return 2;
  usage(o.Env(), where + "." + name + " must be \"enforce\", \"audit\" or \"disabled\"");
}

Napi::Array arrayArg(const Napi::CallbackInfo& info, const char* usageText) {
  if (info.Length() != 1 || !info[0].IsArray()) usage(info.Env(), usageText);
  return info[0].As<Napi::Array>();
}

Napi::Object element(const Napi::Array& a, uint32_t i, const std::string& where) {
  Napi::Value v = a.Get(i);
  if (!v.IsObject()) usage(a.Env(), where + " must be an object");
  return v.As<Napi::Object>();
}

std::vector<TrustedFile> trustedFilesFromJs(const Napi::CallbackInfo& info, const char* usageText) {
  Napi::Array a = arrayArg(info, usageText);
  std::vector<TrustedFile> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string where = "files[" + std::to_string(i) + "]";
    Napi::Object o = element(a, i, where);
    TrustedFile f;
    f.dev = integer(o.Get("dev"), where + ".dev");
    f.ino = integer(o.Get("ino"), where + ".ino");
    f.ctimeSec = static_cast<int64_t>(integerField(o, "ctimeSec", 0, where));
    f.ctimeNsec = static_cast<uint32_t>(integerField(o, "ctimeNsec", 0, where));
    out.push_back(f);
  }
  return out;
}

SensorOptions optionsFromJs(const Napi::Object& o) {
  SensorOptions s;
  const std::string where = "options";
  s.flushIntervalMs = static_cast<uint32_t>(integerField(o, "flushIntervalMs", s.flushIntervalMs, where));
  s.wakeupBytes = static_cast<uint32_t>(integerField(o, "wakeupBytes", s.wakeupBytes, where));
  s.ringBytes = static_cast<uint32_t>(integerField(o, "ringBytes", s.ringBytes, where));
  if (s.flushIntervalMs < 1 || s.flushIntervalMs > 60000) usage(o.Env(), "options.flushIntervalMs: 1 to 60000");
  if (s.ringBytes < 4096 || s.ringBytes > (1u << 30) || (s.ringBytes & (s.ringBytes - 1)) != 0) {
    usage(o.Env(), "options.ringBytes must be a power of two from 4096 to 2^30");
  }
  s.tryLsm = boolField(o, "tryLsm", s.tryLsm, where);
  s.reportUnknownCgroups = boolField(o, "reportUnknownCgroups", s.reportUnknownCgroups, where);
  s.tracepointWithLsm = boolField(o, "tracepointWithLsm", s.tracepointWithLsm, where);
  return s;
}

Napi::Object coverageToJs(Napi::Env env, const Coverage& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", Napi::Boolean::New(env, c.built));
  o.Set("tracepoint", Napi::Boolean::New(env, c.tracepoint));
  o.Set("lsm", Napi::Boolean::New(env, c.lsm));
  Napi::Object types = Napi::Object::New(env);
  types.Set("rawTracepoint", Napi::Boolean::New(env, c.programTypes.rawTracepoint));
  types.Set("tracingRawTp", Napi::Boolean::New(env, c.programTypes.tracingRawTp));
  types.Set("fentry", Napi::Boolean::New(env, c.programTypes.fentry));
  types.Set("lsm", Napi::Boolean::New(env, c.programTypes.lsm));
  o.Set("programTypes", types);
  Napi::Array reasons = Napi::Array::New(env, c.reasons.size());
  for (size_t i = 0; i < c.reasons.size(); i++) reasons.Set(static_cast<uint32_t>(i), c.reasons[i]);
  o.Set("reasons", reasons);
  return o;
}
}  // namespace

Napi::Function BpfSensorWrap::Define(Napi::Env env) {
  return DefineClass(env, "BpfSensor",
                     {
                         InstanceMethod("start", &BpfSensorWrap::Start),
                         InstanceMethod("coverage", &BpfSensorWrap::Coverage),
                         InstanceMethod("putContainers", &BpfSensorWrap::PutContainers),
                         InstanceMethod("removeContainers", &BpfSensorWrap::RemoveContainers),
                         InstanceMethod("putTrustedFiles", &BpfSensorWrap::PutTrustedFiles),
                         InstanceMethod("removeTrustedFiles", &BpfSensorWrap::RemoveTrustedFiles),
                         InstanceMethod("forgetWritten", &BpfSensorWrap::ForgetWritten),
                         InstanceMethod("stats", &BpfSensorWrap::Stats),
                         InstanceMethod("flushFindings", &BpfSensorWrap::FlushFindings),
                         InstanceMethod("close", &BpfSensorWrap::Close),
                     });
}

BpfSensorWrap::BpfSensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfSensorWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsObject() || !info[1].IsFunction()) usage(env, kUsage);
  Napi::Object options = info[0].As<Napi::Object>();
  SensorOptions sensorOptions = optionsFromJs(options);
  size_t limit = integerField(options, "findingBufferLimit", 65536, "options");
  findings_ = std::make_unique<FindingQueue>(env, info[1].As<Napi::Function>(), limit);
  sensor_ = std::make_unique<BpfSensor>(sensorOptions, *findings_);
}

BpfSensorWrap::~BpfSensorWrap() {
  if (sensor_) sensor_->stop();  // garbage collected without close(): the TSFN dies with the env
}

BpfSensor& BpfSensorWrap::sensor(Napi::Env env) {
  if (!sensor_) throw Napi::Error::New(env, "BpfSensor is closed");
  return *sensor_;
}

Napi::Value BpfSensorWrap::Start(const Napi::CallbackInfo& info) {
  try {
    return coverageToJs(info.Env(), sensor(info.Env()).start());
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

Napi::Value BpfSensorWrap::Coverage(const Napi::CallbackInfo& info) {
  return coverageToJs(info.Env(), sensor(info.Env()).coverage());
}

Napi::Value BpfSensorWrap::PutContainers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = arrayArg(info, "usage: putContainers(containers: BpfContainer[])");
  std::vector<SensorContainer> containers;
  for (uint32_t i = 0; i < a.Length(); i++) {
    std::string where = "containers[" + std::to_string(i) + "]";
    Napi::Object o = element(a, i, where);
    SensorContainer c;
    c.cgroupId = integer(o.Get("cgroupId"), where + ".cgroupId");
    Napi::Value id = o.Get("containerId");
    if (!id.IsString()) usage(env, where + ".containerId must be a string");
    c.containerId = id.As<Napi::String>().Utf8Value();
    c.execMode = modeField(o, "execMode", where);
    c.libraryMode = modeField(o, "libraryMode", where);
    c.trustUnwrittenCopies = boolField(o, "trustUnwrittenCopies", false, where);
    Napi::Value devs = o.Get("volumeDevs");
    if (!devs.IsUndefined()) {
      if (!devs.IsArray()) usage(env, where + ".volumeDevs must be an array of st_dev numbers");
      Napi::Array list = devs.As<Napi::Array>();
      for (uint32_t j = 0; j < list.Length(); j++) {
        c.volumeDevs.push_back(integer(list.Get(j), where + ".volumeDevs[" + std::to_string(j) + "]"));
      }
    }
    containers.push_back(std::move(c));
  }
  try {
    sensor(env).putContainers(containers);
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value BpfSensorWrap::RemoveContainers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = arrayArg(info, "usage: removeContainers(cgroupIds: number[])");
  std::vector<uint64_t> ids;
  for (uint32_t i = 0; i < a.Length(); i++) ids.push_back(integer(a.Get(i), "cgroupIds[" + std::to_string(i) + "]"));
  try {
    sensor(env).removeContainers(ids);
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value BpfSensorWrap::PutTrustedFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<TrustedFile> files = trustedFilesFromJs(info, "usage: putTrustedFiles(files: TrustedFile[])");
  try {
    sensor(env).putTrustedFiles(files);
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value BpfSensorWrap::RemoveTrustedFiles(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<TrustedFile> files = trustedFilesFromJs(info, "usage: removeTrustedFiles(files: {dev, ino}[])");
  try {
    sensor(env).removeTrustedFiles(files);
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
  return env.Undefined();
}

Napi::Value BpfSensorWrap::ForgetWritten(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1) usage(env, "usage: forgetWritten(overlayDev: number)");
  uint64_t dev = integer(info[0], "overlayDev");
  try {
    return Napi::Number::New(env, static_cast<double>(sensor(env).forgetWritten(dev)));
  } catch (const std::runtime_error& e) {
    throw Napi::Error::New(env, e.what());
  }
}

Napi::Value BpfSensorWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SensorStats s = sensor(env).stats();
  Napi::Object o = Napi::Object::New(env);
  auto set = [&](const char* key, uint64_t v) { o.Set(key, Napi::Number::New(env, static_cast<double>(v))); };
  set("execs", s.execs);
  set("fileless", s.fileless);
  set("runcExcepted", s.runcExcepted);
  set("lsmExecHits", s.lsmExecHits);
  set("lsmMmapHits", s.lsmMmapHits);
  set("blocked", s.blocked);
  set("audited", s.audited);
  set("forcedWakeups", s.forcedWakeups);
  set("ringbufFull", s.ringbufFull);
  set("writtenMarks", s.writtenMarks);
  set("writtenLost", s.writtenLost);
  set("copiesTrusted", s.copiesTrusted);
  set("readerWakeups", s.readerWakeups);
  set("readerPolls", s.readerPolls);
  set("eventsRead", s.eventsRead);
  set("containers", s.containers);
  set("findingsDropped", findings_->dropped());
  set("findingsDelivered", findings_->delivered());
  return o;
}

Napi::Value BpfSensorWrap::FlushFindings(const Napi::CallbackInfo& info) {
  findings_->flush(info.Env());
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::Close(const Napi::CallbackInfo& info) {
  if (sensor_) {
    sensor_->stop();
    sensor_.reset();
    findings_->close(info.Env());
  }
  return info.Env().Undefined();
}

}  // namespace driftguard
