// Value types of the eBPF sensor: its options, the coverage it found at start, the
// findings it reports and its counters. Plain data, no threads, no libbpf, no N-API (the
// QEMU guest test links the sensor without node).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "decide/Types.hh"
#include "util/RecordSink.hh"

namespace driftguard {

struct SensorOptions {
  uint32_t flushIntervalMs = 100;     // the reader drains the ring buffer at least this often
  uint32_t wakeupBytes = 64 * 1024;   // ... and when this much is queued (BPF forces a wake-up)
  uint32_t ringBytes = 1024 * 1024;   // ring buffer size, a power of two ≥ the page size
  bool tryLsm = true;                 // attach the BPF LSM programs where the kernel runs them
  bool reportUnknownCgroups = false;  // also report processes in no known container
  bool tracepointWithLsm = false;     // attach the tracepoint even when the LSM programs run
  uint64_t hostMountNamespace = 0;    // inode of the host's mount namespace: its execs are never judged
};

// Which program types the kernel loads and attaches (a minimal program of each type).
struct ProgramTypes {
  bool rawTracepoint = false;  // BPF_PROG_TYPE_RAW_TRACEPOINT on sched_process_exec
  bool tracingRawTp = false;   // tp_btf/sched_process_exec (BPF_PROG_TYPE_TRACING)
  bool fentry = false;         // fentry/security_bprm_check
  bool lsm = false;            // lsm/bprm_check_security
};

struct Coverage {
  bool built = false;         // the addon was compiled with the sensor
  bool tracepoint = false;    // sched_process_exec attached: fileless execs and execs from unwatched
                              // filesystems stopped (SIGKILL) before the new program's first instruction
  bool lsm = false;           // LSM programs attached and seen running: fileless execs, execs from
                              // unwatched filesystems and drifted libraries refused in enforce
  bool entryChecked = false;  // the file a new program starts in (its ELF interpreter) is judged too
  ProgramTypes programTypes;
  std::vector<std::string> reasons;  // why something is not covered, one sentence each
};

// Same order as the DG_KIND_* numbers minus one (static_assert in SensorTypes.cc); the names
// are drift reasons of src/domain/driftReason.ts detected by "bpf-sensor".
enum class SensorReason : uint8_t { Fileless, Library, UnwatchedFilesystem, kCount };
inline constexpr std::array<const char*, static_cast<size_t>(SensorReason::kCount)> kSensorReasonNames = {
    "fileless", "library", "unwatched_filesystem"};
enum class SensorSource : uint8_t { Tracepoint, LsmExec, LsmMmap, LsmMprotect };

// One fileless exec, exec from an unwatched filesystem or drifted library mapping, handed
// to JS in batches.
struct SensorFinding {
  int64_t timeMs = 0;
  SensorReason reason = SensorReason::Fileless;
  SensorSource source = SensorSource::Tracepoint;
  Action action = Action::Audited;  // what the kernel did (decide/Types.hh)
  uint8_t mode = 1;                 // driftguard::Mode numbering: 0 disabled, 1 audit, 2 enforce
  int32_t pid = 0, ppid = 0;
  int64_t uid = -1;
  uint64_t cgroupId = 0;
  std::string containerId;  // "" when the cgroup is no known container
  std::string comm;
  std::string path;  // exec: the path given to execve; library: the path inside the container
  std::string name;  // the file's dentry name ("memfd:x" for a memfd)
  bool memfd = false, unlinked = false;
  bool volume = false;                  // a library on the container's tmpfs volume; path is inside the volume
  bool entry = false;                   // unwatched: the file is the program's ELF interpreter
  uint64_t dev = 0, ino = 0;            // st_dev encoding; for a library, the writable-layer inode
  std::string exe, cmdline, parentExe;  // from /proc when the reader got there in time
  bool cmdlineUnread = false;           // cmdline not read in time (see ProcessFacts)
};

// Where the reader thread hands findings, in batches (napi/BatchQueue delivers them to JS).
using SensorSink = RecordSink<SensorFinding>;

// Counters summed over CPUs (BPF side) plus the reader's own.
struct SensorStats {
  uint64_t execs = 0, fileless = 0, runcExcepted = 0, lsmExecHits = 0, lsmMmapHits = 0;
  uint64_t blocked = 0, audited = 0, forcedWakeups = 0, ringbufFull = 0;
  uint64_t writtenMarks = 0;        // overlay inodes opened for write or truncated, remembered
  uint64_t writtenLost = 0;         // the written map was full: copies need the agent's hash
  uint64_t copiesTrusted = 0;       // mappings allowed as unwritten copies of image files
  uint64_t unwatched = 0;           // container execs from filesystems fanotify does not watch
  uint64_t killed = 0;              // new programs stopped by SIGKILL before their first instruction
  uint64_t hostMountNamespace = 0;  // execs in the host's mount namespace (the host's, runc's), not judged
  uint64_t entryUnknown = 0;        // the mapping at a new program's first instruction was unreadable
  uint64_t watchedFilesystems = 0;  // filesystems whose execs fanotify decides (watched_devs)
  uint64_t readerWakeups = 0;       // epoll returned because the kernel woke the ring buffer
  uint64_t readerPolls = 0;         // drains (timer or wake-up)
  uint64_t eventsRead = 0;
  uint64_t containers = 0;  // cgroups in the containers map
};

// How often a BPF program ran and for how long in all (the kernel counts only while
// the sysctl kernel.bpf_stats_enabled is 1).
struct ProgramRunTime {
  std::string name;
  uint64_t runs = 0, runTimeNs = 0;
};

// A container as the sensor needs it: its cgroup v2 id and the modes of its policy.
struct SensorContainer {
  uint64_t cgroupId = 0;
  std::string containerId;
  uint8_t execMode = 1, libraryMode = 1;
  // The agent checked the copies already on the writable layer: a copy of an image file
  // never opened for write since then is unchanged (see sensor_abi.h).
  bool trustUnwrittenCopies = false;
  // Filesystems (st_dev) whose files this container may not map executable: its own
  // tmpfs volumes that its policy does not allow. Replaces what was put before.
  std::vector<uint64_t> volumeDevs;
};

// A writable-layer file the agent allows to be mapped executable: hashed equal to the
// image's file at its path (dev in st_dev encoding).
struct TrustedFile {
  uint64_t dev = 0, ino = 0;
  int64_t ctimeSec = 0;
  uint32_t ctimeNsec = 0;
};

inline const char* sensorReasonName(SensorReason r) {
  return kSensorReasonNames[static_cast<size_t>(r)];
}
const char* sensorSourceName(SensorSource s);

}  // namespace driftguard
