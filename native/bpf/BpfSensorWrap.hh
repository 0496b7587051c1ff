// The JS class `BpfSensor` (contract: src/native/bpfBinding.ts). [JS thread only]
#pragma once

#include <napi.h>

#include <memory>

#include "bpf/BpfSensor.hh"
#include "napi/BatchQueue.hh"

namespace driftguard {

class BpfSensorWrap : public Napi::ObjectWrap<BpfSensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit BpfSensorWrap(const Napi::CallbackInfo& info);
  ~BpfSensorWrap() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Coverage(const Napi::CallbackInfo& info);
  Napi::Value PutContainers(const Napi::CallbackInfo& info);
  Napi::Value RemoveContainers(const Napi::CallbackInfo& info);
  Napi::Value PutTrustedFiles(const Napi::CallbackInfo& info);
  Napi::Value RemoveTrustedFiles(const Napi::CallbackInfo& info);
  Napi::Value ForgetWritten(const Napi::CallbackInfo& info);
  Napi::Value WatchFilesystems(const Napi::CallbackInfo& info);
  Napi::Value UnwatchFilesystems(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value FlushFindings(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  BpfSensor& sensor(Napi::Env env);

  std::unique_ptr<BatchQueue<SensorFinding>> findings_;
  std::unique_ptr<BpfSensor> sensor_;
};

}  // namespace driftguard
