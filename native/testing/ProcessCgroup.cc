// cgroupOfEndingProcess(end): util/ProcessHandle against a process that ends between its
// cgroup id and its cgroup path, as a container process killed and reaped in the middle of
// the guard's lookup does. A child is forked here (it only waits for SIGKILL), so the test
// decides exactly when it is killed and reaped, which the JS thread could not do while the
// native call runs.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "napi/JsArgs.hh"
#include "testing/TestExports.hh"
#include "util/ProcInfo.hh"

namespace driftguard {

Napi::Value CgroupOfEndingProcess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "usage: cgroupOfEndingProcess(end: \"running\" | \"zombie\" | \"reaped\")";
  js::requireUsage(info, info.Length() == 1 && info[0].IsString(), usage);
  std::string end = info[0].As<Napi::String>().Utf8Value();
  js::requireUsage(info, end == "running" || end == "zombie" || end == "reaped", usage);
  pid_t child = fork();
  if (child < 0) throw Napi::Error::New(env, "fork failed");
  if (child == 0) {
    for (;;) pause();  // async-signal-safe only: the parent has threads
  }
  std::string expected = cgroupOf(child);
  bool unsupported = false;
  bool pathIsItsOwn = false;
  std::string path;
  uint64_t id = 0;
  {
    ProcessHandle process(child);
    id = process.cgroupId(&unsupported);
    if (end != "running") {
      kill(child, SIGKILL);
      siginfo_t dead{};
      // WNOWAIT: dead but not reaped (a zombie); then reap it for "reaped".
      waitid(P_PID, static_cast<id_t>(child), &dead, WEXITED | (end == "zombie" ? WNOWAIT : 0));
    }
    pathIsItsOwn = process.cgroupPath(&path);
  }
  if (end != "reaped") {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", Napi::Number::New(env, static_cast<double>(id)));
  out.Set("unsupported", Napi::Boolean::New(env, unsupported));
  out.Set("pathIsItsOwn", Napi::Boolean::New(env, pathIsItsOwn));
  out.Set("path", Napi::String::New(env, path));
  out.Set("expectedPath", Napi::String::New(env, expected));
  return out;
}

}  // namespace driftguard
