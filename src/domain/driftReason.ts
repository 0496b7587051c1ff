// Why an exec (or an executable mapping) was not a plain allow: the drift reasons, one
// entry each. This table is the one place a reason is declared; the API's enum names, the
// native names, the ASFF severity and the review page's words follow from it or are checked
// against it by the compiler and test/unit/domain/vocabulary.test.ts. How to add one:
// src/domain/README.md.
import type { AttackTechniqueId } from "./attackTechnique";

/**
 * Who reports a reason: the native components under their own names (native/decide,
 * native/bpf), or the agent's posture judgement of a container's spec (src/posture).
 */
export type Detector = "exec-guard" | "bpf-sensor" | "posture";

/**
 * How a reason ranks as a signal, independent of the verdict (severity.ts turns class and
 * verdict into a severity): drift that ran or was tried, tampering with what the image
 * holds, an operational failure of the guard; for posture, an exposure that lets the
 * container reach around the guard (Pod Security baseline) or missing hardening
 * (restricted).
 */
export type SeverityClass = "drift" | "tampering" | "operational" | "exposure" | "hardening";

export interface DriftReasonEntry {
  /** Its number in driftguard.v1.DriftReason (src/api/driftguard/v1/finding.proto); never reused. */
  readonly proto: number;
  /** Who reports it; the addon's own list of names must agree (vocabulary.test.ts). */
  readonly detectedBy: readonly Detector[];
  readonly severityClass: SeverityClass;
  /** The MITRE ATT&CK techniques it is evidence of (attackTechnique.ts); none for a miss of the guard. */
  readonly attack: readonly AttackTechniqueId[];
}

export const DRIFT_REASON = {
  // A file that is not in the image (writable layer), including copies of image binaries.
  new_file: { proto: 1, detectedBy: ["exec-guard"], severityClass: "drift", attack: ["T1105"] },
  // An image file whose content changed.
  modified: { proto: 2, detectedBy: ["exec-guard"], severityClass: "tampering", attack: ["T1554"] },
  // An image file that was not executable in the image.
  made_executable: { proto: 3, detectedBy: ["exec-guard"], severityClass: "drift", attack: ["T1222.002"] },
  // A file on a volume (emptyDir, hostPath, PVC, configMap, secret, tmpfs).
  volume: { proto: 4, detectedBy: ["exec-guard"], severityClass: "drift", attack: ["T1105"] },
  // No file on disk (deleted, memfd): fanotify sees some, the eBPF sensor the rest.
  fileless: { proto: 5, detectedBy: ["exec-guard", "bpf-sensor"], severityClass: "tampering", attack: ["T1620"] },
  // An image file on the policy's deny list (which technique depends on the program denied).
  denied: { proto: 6, detectedBy: ["exec-guard"], severityClass: "drift", attack: [] },
  // Nobody decided before the deadline; the fail mode answered.
  deadline_exceeded: { proto: 7, detectedBy: ["exec-guard"], severityClass: "operational", attack: [] },
  // Too many execs held for containers not attached yet; the fail mode answered.
  hold_overflow: { proto: 8, detectedBy: ["exec-guard"], severityClass: "operational", attack: [] },
  // A writable-layer file mapped executable that is not an unchanged image file.
  library: { proto: 9, detectedBy: ["bpf-sensor"], severityClass: "drift", attack: ["T1574.006"] },
  // A file on a filesystem fanotify does not watch: one the container mounted after it was
  // attached (or the ELF interpreter of the exec'd program is on one). An evasion attempt.
  unwatched_filesystem: { proto: 10, detectedBy: ["bpf-sensor"], severityClass: "tampering", attack: ["T1564"] },
  // The verdict depended on the file's content and it could not be proven in time (no
  // baseline, a writer had it open or mapped, the hash missed its deadline); the
  // container's policy answered. Drift, not an operational miss: it is refused in enforce.
  // No technique: what the content is was not proven.
  unverified: { proto: 11, detectedBy: ["exec-guard"], severityClass: "drift", attack: [] },
  // Container posture, judged once per container from its spec (src/posture; what each
  // means, its Pod Security rule and GuardDuty type: posture.ts). Named posture_*: the
  // prefix is the family (src/domain/README.md says why these are reasons, not a kind).
  // No ATT&CK technique: a property of the spec is an exposure, not an act.
  posture_privileged: { proto: 12, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_host_pid: { proto: 13, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_host_ipc: { proto: 14, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_host_network: { proto: 15, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_capabilities: { proto: 16, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_sensitive_mount: { proto: 17, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_runtime_socket: { proto: 18, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_unconfined_lsm: { proto: 19, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_writable_proc_sys: { proto: 20, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_writable_sysfs: { proto: 21, detectedBy: ["posture"], severityClass: "exposure", attack: [] },
  posture_no_seccomp: { proto: 22, detectedBy: ["posture"], severityClass: "hardening", attack: [] },
  posture_root_escalation: { proto: 23, detectedBy: ["posture"], severityClass: "hardening", attack: [] },
} as const satisfies Record<string, DriftReasonEntry>;

export type DriftReason = keyof typeof DRIFT_REASON;

/** Every reason, in proto order (the CLI's and the page's lists show them so). */
export const DRIFT_REASONS = Object.keys(DRIFT_REASON) as readonly DriftReason[];

/** The reasons one detector reports, as a type (e.g. the eBPF sensor's findings). */
export type ReasonDetectedBy<D extends Detector> = {
  [R in DriftReason]: D extends (typeof DRIFT_REASON)[R]["detectedBy"][number] ? R : never;
}[DriftReason];

export function isDriftReason(value: string): value is DriftReason {
  return Object.hasOwn(DRIFT_REASON, value);
}

/** Reasons about a container's posture rather than an exec: their names start with this. */
export const POSTURE_PREFIX = "posture_";

/** A reason the posture judgement reports, as a type. */
export type PostureReason = ReasonDetectedBy<"posture">;

/** Whether a reason (also one from a newer agent) is about posture: by its family prefix. */
export function isPostureReason(reason: string): boolean {
  return reason.startsWith(POSTURE_PREFIX);
}

/**
 * The reasons a name or a glob stands for (`posture_*`, `*_mount`; `*` any run of
 * characters, `?` one), in proto order; an unknown name matches none.
 */
export function reasonsMatching(pattern: string): DriftReason[] {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`);
  return DRIFT_REASONS.filter((reason) => re.test(reason));
}
