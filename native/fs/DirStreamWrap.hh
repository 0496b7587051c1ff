// The JS class DirStream (new DirStream(root, rel); contract: src/native/binding.ts): one
// directory of a tree someone else may change (an image layer, a container's writable
// layer), opened beneath its root without following any symlink, read in slices with each
// entry's lstat taken relative to the open directory, never by path. [JS thread only]
#pragma once

#include <dirent.h>
#include <napi.h>

namespace driftguard {

class DirStreamWrap : public Napi::ObjectWrap<DirStreamWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new DirStream(root, rel): throws with the errno's name as code (ELOOP, ENOENT...).
  explicit DirStreamWrap(const Napi::CallbackInfo& info);
  ~DirStreamWrap() override;

 private:
  // read(max) → {names, stats} | null at the end.
  Napi::Value Read(const Napi::CallbackInfo& info);
  // xattr(name) → Buffer | null: fgetxattr on the directory itself.
  Napi::Value Xattr(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  DIR* dir(Napi::Env env);

  DIR* dir_ = nullptr;
};

}  // namespace driftguard
