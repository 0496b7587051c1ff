// An eBPF sensor finding as the verdict record every finding of the agent starts from.
// The kernel knows no policy name, digest or image path: the agent fills in what it can.
import type { VerdictRecord } from "../native/binding";
import type { SensorFinding } from "../native/bpfBinding";

export function verdictRecordOf(f: SensorFinding): VerdictRecord {
  return {
    timeMs: f.timeMs,
    pid: f.pid,
    ppid: f.ppid,
    uid: f.uid,
    containerId: f.containerId,
    path: f.path,
    hostPath: f.name,
    reason: f.reason,
    verdict: f.verdict,
    action: f.action,
    mode: f.mode,
    sha256: "",
    copyOf: "",
    policy: "",
    exe: f.exe,
    cmdline: f.cmdline,
    cmdlineUnread: f.cmdlineUnread,
    parentExe: f.parentExe,
  };
}
