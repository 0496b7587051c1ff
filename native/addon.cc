// Module entry: the exec guard class, the eBPF sensor class, the file functions of the
// baseline builder and the start-up self-test's probes. The test build
// (DRIFTGUARD_TEST_EXPORTS) adds the test-only functions.
#include <napi.h>

#include "bpf/BpfSensorWrap.hh"
#include "fs/BoundedRead.hh"
#include "fs/CapabilityProbes.hh"
#include "fs/DirStreamWrap.hh"
#include "fs/FileLock.hh"
#include "fs/FsFunctions.hh"
#include "fs/ReadBeneath.hh"
#include "guard/ExecGuardWrap.hh"
#include "writer/WriteTrackerWrap.hh"
#ifdef DRIFTGUARD_TEST_EXPORTS
#include "testing/TestExports.hh"
#endif

namespace driftguard {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("ExecGuard", ExecGuardWrap::Define(env));
  exports.Set("hashFile", Napi::Function::New(env, HashFile, "hashFile"));
  exports.Set("hashFileBeneath", Napi::Function::New(env, HashFileBeneath, "hashFileBeneath"));
  exports.Set("DirStream", DirStreamWrap::Define(env));
  exports.Set("readFileBeneath", Napi::Function::New(env, ReadFileBeneath, "readFileBeneath"));
  exports.Set("readProcFileBounded", Napi::Function::New(env, ReadProcFileBounded, "readProcFileBounded"));
  exports.Set("BpfSensor", BpfSensorWrap::Define(env));        // eBPF sensor (native/bpf)
  exports.Set("WriteTracker", WriteTrackerWrap::Define(env));  // writers of dropped files (native/writer)
  // The start-up self-test (src/agent/capabilitySelfTest.ts).
  exports.Set("probeFanotify", Napi::Function::New(env, ProbeFanotify, "probeFanotify"));
  exports.Set("probeFileHandle", Napi::Function::New(env, ProbeFileHandle, "probeFileHandle"));
  // The agent's spool slot (src/report/spool/spoolSlot.ts).
  exports.Set("holdFileLock", Napi::Function::New(env, HoldFileLock, "holdFileLock"));
#ifdef DRIFTGUARD_TEST_EXPORTS
  exports.Set("judge", Napi::Function::New(env, Judge, "judge"));
  exports.Set("vocabulary", Napi::Function::New(env, Vocabulary, "vocabulary"));
  exports.Set("beneathMode", Napi::Function::New(env, BeneathModeOf, "beneathMode"));
  exports.Set("cgroupOfEndingProcess", Napi::Function::New(env, CgroupOfEndingProcess, "cgroupOfEndingProcess"));
#endif
  return exports;
}

}  // namespace driftguard

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return driftguard::Init(env, exports);
}

NODE_API_MODULE(driftguard, InitModule)
