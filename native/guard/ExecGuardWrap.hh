// The JS class `ExecGuard` (contract: src/native/binding.ts). [JS thread only]
#pragma once

#include <napi.h>

#include <memory>
#include <optional>

#include "guard/ExecGuard.hh"
#include "napi/BatchQueue.hh"

namespace driftguard {

class ExecGuardWrap : public Napi::ObjectWrap<ExecGuardWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ExecGuardWrap(const Napi::CallbackInfo& info);
  ~ExecGuardWrap() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value MarkFilesystem(const Napi::CallbackInfo& info);
  Napi::Value UnmarkFilesystem(const Napi::CallbackInfo& info);
  Napi::Value Apply(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value WatchRuntimeBinaries(const Napi::CallbackInfo& info);
  Napi::Value StartPause(const Napi::CallbackInfo& info);
  Napi::Value ResumeIgnoreMarks(const Napi::CallbackInfo& info);
  Napi::Value OnStartPause(const Napi::CallbackInfo& info);
  void releasePauseListener();
  Napi::Value FlushVerdicts(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  ExecGuard& guard(Napi::Env env);

  std::unique_ptr<BatchQueue<VerdictRecord>> verdicts_;
  std::unique_ptr<ExecGuard> guard_;
  // Calls the agent's pause listener on the JS thread; unref'd (never keeps the process up).
  std::optional<Napi::ThreadSafeFunction> pauseCalls_;
};

}  // namespace driftguard
