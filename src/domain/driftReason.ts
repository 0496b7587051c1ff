// Why an exec (or an executable mapping) was not a plain allow: the drift reasons, one
// entry each. This table is the one place a reason is declared; the API's enum names, the
// native names, the ASFF severity and the review page's words follow from it or are checked
// against it by the compiler and test/unit/domain/vocabulary.test.ts. How to add one:
// src/domain/README.md.

/** The native component that reports a reason under its name (native/decide, native/bpf). */
export type Detector = "exec-guard" | "bpf-sensor";

/**
 * How a reason ranks as a signal, independent of the verdict (severity.ts turns class and
 * verdict into a severity): drift that ran or was tried, tampering with what the image
 * holds, or an operational failure of the guard.
 */
export type SeverityClass = "drift" | "tampering" | "operational";

export interface DriftReasonEntry {
  /** Its number in driftguard.v1.DriftReason (src/api/driftguard/v1/finding.proto); never reused. */
  readonly proto: number;
  /** Who reports it; the addon's own list of names must agree (vocabulary.test.ts). */
  readonly detectedBy: readonly Detector[];
  readonly severityClass: SeverityClass;
}

export const DRIFT_REASON = {
  // A file that is not in the image (writable layer), including copies of image binaries.
  new_file: { proto: 1, detectedBy: ["exec-guard"], severityClass: "drift" },
  // An image file whose content changed.
  modified: { proto: 2, detectedBy: ["exec-guard"], severityClass: "tampering" },
  // An image file that was not executable in the image.
  made_executable: { proto: 3, detectedBy: ["exec-guard"], severityClass: "drift" },
  // A file on a volume (emptyDir, hostPath, PVC, configMap, secret, tmpfs).
  volume: { proto: 4, detectedBy: ["exec-guard"], severityClass: "drift" },
  // No file on disk (deleted, memfd): fanotify sees some, the eBPF sensor the rest.
  fileless: { proto: 5, detectedBy: ["exec-guard", "bpf-sensor"], severityClass: "tampering" },
  // An image file on the policy's deny list.
  denied: { proto: 6, detectedBy: ["exec-guard"], severityClass: "drift" },
  // Nobody decided before the deadline; the fail mode answered.
  deadline_exceeded: { proto: 7, detectedBy: ["exec-guard"], severityClass: "operational" },
  // Too many execs held for containers not attached yet; the fail mode answered.
  hold_overflow: { proto: 8, detectedBy: ["exec-guard"], severityClass: "operational" },
  // A writable-layer file mapped executable that is not an unchanged image file.
  library: { proto: 9, detectedBy: ["bpf-sensor"], severityClass: "drift" },
  // A file on a filesystem fanotify does not watch: one the container mounted after it was
  // attached (or the ELF interpreter of the exec'd program is on one). An evasion attempt.
  unwatched_filesystem: { proto: 10, detectedBy: ["bpf-sensor"], severityClass: "tampering" },
  // The verdict depended on the file's content and it could not be proven in time (no
  // baseline, a writer had it open or mapped, the hash missed its deadline); the
  // container's policy answered. Drift, not an operational miss: it is refused in enforce.
  unverified: { proto: 11, detectedBy: ["exec-guard"], severityClass: "drift" },
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
