// The JS class `WriteTracker` (contract: src/native/binding.ts). [JS thread only]
#pragma once

#include <napi.h>

#include <memory>

#include "writer/WriteTracker.hh"

namespace driftguard {

class WriteTrackerWrap : public Napi::ObjectWrap<WriteTrackerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit WriteTrackerWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value MarkFilesystem(const Napi::CallbackInfo& info);
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value WriterOf(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  WriteTracker& tracker(Napi::Env env);

  std::unique_ptr<WriteTracker> tracker_;
};

}  // namespace driftguard
