// Value types shared by the decision path. Plain data, no behaviour, no threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "decide/SampleCapture.hh"
#include "util/Sha256.hh"

namespace driftguard {

// The enums below carry the names of the TypeScript vocabulary (src/domain/): each has a
// name table indexed by its value, kept complete by the kCount sentinel and a static_assert,
// and the addon lists the names for test/unit/domain/vocabulary.test.ts (native/testing/Vocabulary.cc).

// Policy mode in force for one container. Same numbers as the BPF maps' DG_MODE_*
// (static_assert in bpf/SensorTypes.cc).
enum class Mode : uint8_t { Disabled, Audit, Enforce, kCount };

// Why an exec is drift. Names are the wire names used in findings (reasonName()).
enum class Reason : uint8_t {
  None,
  NewFile,           // file exists only on the writable layer
  Modified,          // image path, different content
  MadeExecutable,    // image path that was not executable in the image
  Volume,            // file on a volume (bind mount, tmpfs, emptyDir, ...)
  Fileless,          // file without a path: deleted, or otherwise unresolvable on its filesystem
  Denied,            // image binary on the policy's deny list
  DeadlineExceeded,  // watchdog answered with the fail mode
  HoldOverflow,      // too many execs held for containers not attached yet
  Unverified,        // the content decides and could not be proven in time (no baseline,
                     // a writer, a hash past its deadline): the container's policy answers
  kCount             // not a reason: the number of values above
};

// Allowed is the decision's own value; findings are blocked or audited (DG_VERDICT_* numbers).
enum class Verdict : uint8_t { Allowed, Blocked, Audited, kCount };

// What happened to a drift exec: refused before it ran (EPERM: fanotify, BPF LSM), killed
// after it committed but before the new program's first instruction (SIGKILL from the
// eBPF exec tracepoint), or let run and reported.
enum class Action : uint8_t { Audited, Refused, Killed, kCount };

template <typename Enum>
using NameTable = std::array<const char*, static_cast<size_t>(Enum::kCount)>;

// True when every entry has a name: a table shorter than its enum leaves nullptr behind.
template <typename Enum>
constexpr bool everyValueNamed(const NameTable<Enum>& names) {
  for (const char* name : names) {
    if (name == nullptr || *name == '\0') return false;
  }
  return true;
}

inline constexpr NameTable<Mode> kModeNames = {"disabled", "audit", "enforce"};
inline constexpr NameTable<Reason> kReasonNames = {"none",          "new_file",  "modified", "made_executable",
                                                   "volume",        "fileless",  "denied",   "deadline_exceeded",
                                                   "hold_overflow", "unverified"};
inline constexpr NameTable<Verdict> kVerdictNames = {"allowed", "blocked", "audited"};
inline constexpr NameTable<Action> kActionNames = {"audited", "refused", "killed"};
static_assert(everyValueNamed<Mode>(kModeNames), "a Mode without a name in kModeNames");
static_assert(everyValueNamed<Reason>(kReasonNames), "a Reason without a name in kReasonNames");
static_assert(everyValueNamed<Verdict>(kVerdictNames), "a Verdict without a name in kVerdictNames");
static_assert(everyValueNamed<Action>(kActionNames), "an Action without a name in kActionNames");

inline const char* reasonName(Reason r) {
  return kReasonNames[static_cast<size_t>(r)];
}
inline const char* verdictName(Verdict v) {
  return kVerdictNames[static_cast<size_t>(v)];
}
inline const char* actionName(Action a) {
  return kActionNames[static_cast<size_t>(a)];
}
inline const char* modeName(Mode m) {
  return kModeNames[static_cast<size_t>(m)];
}

// When the kernel is answered "not yet decided" is never an option: a Decision is final.
struct Decision {
  Verdict verdict = Verdict::Allowed;
  Reason reason = Reason::None;
};

// Facts about one exec, gathered on the fanotify thread, copied into a verdict record.
struct ExecFacts {
  int32_t pid = 0;
  uint64_t dev = 0, ino = 0, size = 0;
  int64_t mtimeNs = 0, ctimeNs = 0;
  uint32_t fileMode = 0;
  uint64_t links = 0;    // st_nlink: a hard-linked file has other names a policy may deny
  std::string realPath;  // path on the host filesystem that holds the file ("" if unknown)
  std::string viewPath;  // path as the exec'ing process saw it (overlay view), best effort
};

// One finding-worthy decision, handed to JS in batches.
struct VerdictRecord {
  int64_t timeMs = 0;
  int32_t pid = 0, ppid = 0;
  int64_t uid = -1;
  std::string containerId;
  std::string path;      // path inside the container
  std::string hostPath;  // real path on the node
  Reason reason = Reason::None;
  Verdict verdict = Verdict::Audited;
  Mode mode = Mode::Audit;
  std::string sha256Hex;                      // "" when not computed
  std::string copyOf;                         // image path whose content this file equals, "" if none
  std::string policy;                         // policy name in force
  std::string exe;                            // program that called execve (before the exec)
  std::string cmdline;                        // its command line
  bool cmdlineUnread = false;                 // the command line could not be read in time (see ProcessFacts)
  std::string parentExe;                      // its parent's program
  Capture capture = Capture::Off;             // the sample's capture (policy capture.maxBytes)
  std::shared_ptr<const SampleBytes> sample;  // its bytes when Captured
};

// The mode named by name ("enforce", "audit", "disabled"); false for anything else.
inline bool parseMode(std::string_view name, Mode* out) {
  for (size_t i = 0; i < kModeNames.size(); i++) {
    if (name == kModeNames[i]) {
      *out = static_cast<Mode>(i);
      return true;
    }
  }
  return false;
}

}  // namespace driftguard
