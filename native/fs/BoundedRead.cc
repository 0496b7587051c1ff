#include "fs/BoundedRead.hh"

#include <optional>
#include <string>

#include "napi/JsArgs.hh"
#include "util/BoundedProcRead.hh"

namespace driftguard {

Napi::Value ReadProcFileBounded(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  js::requireUsage(info, info.Length() == 2 && info[0].IsString() && info[1].IsNumber(),
                   "usage: readProcFileBounded(path: string, maxBytes: number <= 65536)");
  uint64_t maxBytes = js::integer(info[1], "readProcFileBounded maxBytes", 0, 64 * 1024);
  std::optional<std::string> text = readProcFileBounded(info[0].As<Napi::String>().Utf8Value(), maxBytes);
  if (!text) return env.Null();
  return Napi::Buffer<char>::Copy(env, text->data(), text->size());
}

}  // namespace driftguard
