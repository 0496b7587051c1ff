#include "bpf/SensorJsConvert.hh"

#include "decide/Types.hh"
#include "napi/JsArgs.hh"

namespace driftguard {

SensorOptions sensorOptionsFromJs(const Napi::Object& o) {
  SensorOptions s;
  const std::string where = "options";
  s.flushIntervalMs = js::integerField(o, "flushIntervalMs", s.flushIntervalMs, where, 1, 60000);
  s.wakeupBytes = js::integerField(o, "wakeupBytes", s.wakeupBytes, where, 0, UINT32_MAX);
  s.ringBytes = js::integerField(o, "ringBytes", s.ringBytes, where, 4096, 1u << 30);
  if ((s.ringBytes & (s.ringBytes - 1)) != 0) {
    js::throwTypeError(o.Env(), "options.ringBytes must be a power of two from 4096 to 2^30");
  }
  s.tryLsm = js::booleanField(o, "tryLsm", s.tryLsm, where);
  s.reportUnknownCgroups = js::booleanField(o, "reportUnknownCgroups", s.reportUnknownCgroups, where);
  s.tracepointWithLsm = js::booleanField(o, "tracepointWithLsm", s.tracepointWithLsm, where);
  s.hostMountNamespace = js::integerField(o, "hostMountNamespace", 0, where);
  return s;
}

std::vector<SensorContainer> sensorContainersFromJs(const Napi::Array& a) {
  return js::objects(a, "containers", [](const Napi::Object& o, const std::string& where) {
    SensorContainer c;
    c.cgroupId = js::integer(o.Get("cgroupId"), where + ".cgroupId");
    c.containerId = js::stringField(o, "containerId", where);
    c.execMode = static_cast<uint8_t>(js::modeField(o, "execMode", where));
    c.libraryMode = static_cast<uint8_t>(js::modeField(o, "libraryMode", where));
    c.trustUnwrittenCopies = js::booleanField(o, "trustUnwrittenCopies", false, where);
    if (!o.Get("volumeDevs").IsUndefined()) c.volumeDevs = js::integers(o.Get("volumeDevs"), where + ".volumeDevs");
    return c;
  });
}

std::vector<TrustedFile> trustedFilesFromJs(const Napi::Array& a) {
  return js::objects(a, "files", [](const Napi::Object& o, const std::string& where) {
    TrustedFile f;
    f.dev = js::integer(o.Get("dev"), where + ".dev");
    f.ino = js::integer(o.Get("ino"), where + ".ino");
    f.ctimeSec = static_cast<int64_t>(js::integerField(o, "ctimeSec", 0, where));
    f.ctimeNsec = static_cast<uint32_t>(js::integerField(o, "ctimeNsec", 0, where));
    return f;
  });
}

std::vector<uint64_t> cgroupIdsFromJs(const Napi::Array& a) {
  return js::integers(a, "cgroupIds");
}

Napi::Object coverageToJs(Napi::Env env, const Coverage& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", Napi::Boolean::New(env, c.built));
  o.Set("tracepoint", Napi::Boolean::New(env, c.tracepoint));
  o.Set("lsm", Napi::Boolean::New(env, c.lsm));
  o.Set("entryChecked", Napi::Boolean::New(env, c.entryChecked));
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

Napi::Object sensorStatsToJs(Napi::Env env, const SensorStats& s, uint64_t dropped, uint64_t delivered) {
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
  set("unwatched", s.unwatched);
  set("killed", s.killed);
  set("hostMountNamespace", s.hostMountNamespace);
  set("entryUnknown", s.entryUnknown);
  set("watchedFilesystems", s.watchedFilesystems);
  set("findingsDropped", dropped);
  set("findingsDelivered", delivered);
  return o;
}

Napi::Object sensorFindingToJs(Napi::Env env, const SensorFinding& f) {
  Napi::Object o = Napi::Object::New(env);
  auto number = [&](const char* key, double v) { o.Set(key, Napi::Number::New(env, v)); };
  auto string = [&](const char* key, const std::string& v) { o.Set(key, Napi::String::New(env, v)); };
  number("timeMs", static_cast<double>(f.timeMs));
  string("reason", sensorReasonName(f.reason));
  string("source", sensorSourceName(f.source));
  string("verdict", verdictName(f.action == Action::Audited ? Verdict::Audited : Verdict::Blocked));
  string("action", actionName(f.action));
  string("mode", modeName(static_cast<Mode>(f.mode)));
  number("pid", f.pid);
  number("ppid", f.ppid);
  number("uid", static_cast<double>(f.uid));
  number("cgroupId", static_cast<double>(f.cgroupId));
  string("containerId", f.containerId);
  string("comm", f.comm);
  string("path", f.path);
  string("name", f.name);
  o.Set("memfd", Napi::Boolean::New(env, f.memfd));
  o.Set("unlinked", Napi::Boolean::New(env, f.unlinked));
  o.Set("volume", Napi::Boolean::New(env, f.volume));
  o.Set("entry", Napi::Boolean::New(env, f.entry));
  number("dev", static_cast<double>(f.dev));
  number("ino", static_cast<double>(f.ino));
  string("exe", f.exe);
  string("cmdline", f.cmdline);
  o.Set("cmdlineUnread", Napi::Boolean::New(env, f.cmdlineUnread));
  string("parentExe", f.parentExe);
  return o;
}

}  // namespace driftguard
