#include "bpf/BpfSensorWrap.hh"

#include "bpf/SensorJsConvert.hh"
#include "napi/JsArgs.hh"

namespace driftguard {

namespace {
// The one argument of the table methods: an array, else the method's usage string.
Napi::Array arrayArgument(const Napi::CallbackInfo& info, const char* usage) {
  js::requireUsage(info, info.Length() == 1 && info[0].IsArray(), usage);
  return info[0].As<Napi::Array>();
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
                         InstanceMethod("watchFilesystems", &BpfSensorWrap::WatchFilesystems),
                         InstanceMethod("unwatchFilesystems", &BpfSensorWrap::UnwatchFilesystems),
                         InstanceMethod("stats", &BpfSensorWrap::Stats),
                         InstanceMethod("flushFindings", &BpfSensorWrap::FlushFindings),
                         InstanceMethod("close", &BpfSensorWrap::Close),
                     });
}

BpfSensorWrap::BpfSensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BpfSensorWrap>(info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 2 && info[0].IsObject() && info[1].IsFunction(),
                   "usage: new BpfSensor(options: BpfSensorOptions, onFindings: (batch) => void)");
  Napi::Object options = info[0].As<Napi::Object>();
  SensorOptions sensorOptions = sensorOptionsFromJs(options);
  size_t limit = js::integerField(options, "findingBufferLimit", 65536, "options");
  findings_ = std::make_unique<BatchQueue<SensorFinding>>(env, info[1].As<Napi::Function>(), limit,
                                                          "driftguard-sensor-findings", sensorFindingToJs);
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
  return coverageToJs(info.Env(), sensor(info.Env()).start());
}

Napi::Value BpfSensorWrap::Coverage(const Napi::CallbackInfo& info) {
  return coverageToJs(info.Env(), sensor(info.Env()).coverage());
}

Napi::Value BpfSensorWrap::PutContainers(const Napi::CallbackInfo& info) {
  Napi::Array containers = arrayArgument(info, "usage: putContainers(containers: BpfContainer[])");
  sensor(info.Env()).putContainers(sensorContainersFromJs(containers));
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::RemoveContainers(const Napi::CallbackInfo& info) {
  Napi::Array ids = arrayArgument(info, "usage: removeContainers(cgroupIds: number[])");
  sensor(info.Env()).removeContainers(cgroupIdsFromJs(ids));
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::PutTrustedFiles(const Napi::CallbackInfo& info) {
  Napi::Array files = arrayArgument(info, "usage: putTrustedFiles(files: TrustedFile[])");
  sensor(info.Env()).putTrustedFiles(trustedFilesFromJs(files));
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::RemoveTrustedFiles(const Napi::CallbackInfo& info) {
  Napi::Array files = arrayArgument(info, "usage: removeTrustedFiles(files: {dev, ino}[])");
  sensor(info.Env()).removeTrustedFiles(trustedFilesFromJs(files));
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::ForgetWritten(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 1, "usage: forgetWritten(overlayDev: number)");
  uint64_t overlayDev = js::integer(info[0], "overlayDev");
  uint64_t forgotten = sensor(env).forgetWritten(overlayDev);
  return Napi::Number::New(env, static_cast<double>(forgotten));
}

Napi::Value BpfSensorWrap::WatchFilesystems(const Napi::CallbackInfo& info) {
  Napi::Array devs = arrayArgument(info, "usage: watchFilesystems(devs: number[])");
  sensor(info.Env()).watchFilesystems(js::integers(devs, "devs"));
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::UnwatchFilesystems(const Napi::CallbackInfo& info) {
  Napi::Array devs = arrayArgument(info, "usage: unwatchFilesystems(devs: number[])");
  sensor(info.Env()).unwatchFilesystems(js::integers(devs, "devs"));
  return info.Env().Undefined();
}

Napi::Value BpfSensorWrap::Stats(const Napi::CallbackInfo& info) {
  return sensorStatsToJs(info.Env(), sensor(info.Env()).stats(), findings_->dropped(), findings_->delivered());
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
