// How values read on the page: times in UTC (reviewers sit in several time zones), words
// instead of enum values.
import type { DriftReason } from "../../../domain/driftReason.js";
import type { Action } from "../../../domain/verdict.js";

// Every reason needs its words (a type import: the page loads only web/client's scripts).
const REASON_WORDS: Record<DriftReason, string> = {
  new_file: "new file",
  modified: "modified",
  made_executable: "made executable",
  volume: "volume",
  fileless: "fileless",
  denied: "denied",
  deadline_exceeded: "deadline exceeded",
  hold_overflow: "hold overflow",
  library: "drifted library",
  unwatched_filesystem: "unwatched filesystem",
  unverified: "unverified content",
  posture_privileged: "privileged",
  posture_host_pid: "host PID namespace",
  posture_host_ipc: "host IPC namespace",
  posture_host_network: "host network",
  posture_capabilities: "added capabilities",
  posture_sensitive_mount: "sensitive host mount",
  posture_runtime_socket: "runtime socket mounted",
  posture_unconfined_lsm: "unconfined AppArmor/SELinux",
  posture_writable_proc_sys: "writable /proc/sys",
  posture_writable_sysfs: "writable /sys",
  posture_no_seccomp: "no seccomp",
  posture_root_escalation: "root, no_new_privs off",
};
const ACTION_WORDS: Record<Action, string> = {
  refused: "refused (Operation not permitted)",
  killed: "killed before its first instruction",
  audited: "ran (audit)",
};
/** By the finding's action string; an action this page does not know reads as itself. */
export const ACTIONS: Record<string, string> = ACTION_WORDS;

/** By the finding's reason string; a reason this page does not know reads as itself. */
export const REASONS: Record<string, string> = REASON_WORDS;

export const STATUSES: Record<string, string> = {
  new: "new",
  acknowledged: "acknowledged",
  resolved: "resolved",
  false_positive: "false positive",
};

/** "2026-01-05 12:03:04" (UTC) from an ISO time. */
export function utc(iso: string): string {
  return iso ? iso.replace("T", " ").slice(0, 19) : "";
}

/** "2m ago", "3h ago". */
export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

export function workload(f: { namespace: string; pod: string; container: string; containerId: string }): string {
  if (!f.pod) return f.containerId ? `container ${f.containerId.slice(0, 12)}` : "(unknown)";
  return `${f.namespace}/${f.pod}${f.container ? `/${f.container}` : ""}`;
}
