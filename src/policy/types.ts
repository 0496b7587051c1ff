// A DriftPolicy as the agent uses it, after parsing and validation. The YAML format is
// described by schema.ts (the one source of the JSON Schema and the CRD) and by
// daemonset/policies/README.md.
import type { PssLevel } from "../domain/posture";
import type { PolicyMode } from "../domain/verdict";

export const API_VERSION = "driftguard.dev/v1";
export const KIND = "DriftPolicy";

/** Volume kinds as Kubernetes names them, plus tmpfs for the runtime's own tmpfs mounts. */
export const VOLUME_KINDS = [
  "configMap",
  "secret",
  "emptyDir",
  "hostPath",
  "projected",
  "downwardAPI",
  "persistentVolumeClaim",
  "tmpfs",
] as const;
export type VolumeKind = (typeof VOLUME_KINDS)[number];

export const LABEL_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;
export type LabelOperator = (typeof LABEL_OPERATORS)[number];

export interface LabelExpression {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** Every present field must match (AND); within a list, any entry may match (OR). */
export interface PolicySelector {
  /** Kubernetes namespace names or globs (`*`, `?`). */
  namespaces?: string[];
  /** Pod labels that must all be present with these values. */
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelExpression[];
  /** Image reference globs, `sha256:<hex>` digests, or `repo@sha256:<hex>`. */
  images?: string[];
  /** Container names (as in the pod spec) or globs. */
  containers?: string[];
}

/** When an audit policy turns into enforce. */
export type EnforceAfter =
  { kind: "date"; atMs: number; text: string } | { kind: "duration"; ms: number; text: string };

/** When a time-limited (break-glass) exception stops applying. */
export interface Expiry {
  atMs: number;
  /** As written: 2026-03-01 or 2026-03-01T08:00:00Z. */
  text: string;
}

export interface PathException {
  path: string;
  reason: string;
  expires?: Expiry;
}

export interface DigestException {
  /** Lower-case hex SHA-256, without the "sha256:" prefix. */
  sha256: string;
  reason: string;
  expires?: Expiry;
}

export type VolumeException = ({ kind: VolumeKind } | { path: string }) & { reason: string; expires?: Expiry };

export interface DenyRule {
  path: string;
  reason: string;
}

/** A posture property allowed for the selected containers (allow.posture). */
export interface PostureException {
  /** The property's name (privileged, host_pid, sensitive_mount, ...: src/domain/posture.ts). */
  property: string;
  reason: string;
  /** Mount properties only: globs of host paths (mount sources) this allows; absent: every one. */
  paths?: string[];
  /** capabilities only: the added capabilities this allows (CAP_ names); absent: every one. */
  capabilities?: string[];
}

/** spec.posture: which Pod Security level posture is judged against, and whether to stop containers. */
export interface PostureSettings {
  /** baseline (default) reports baseline's properties; restricted adds restricted's. */
  level: PssLevel;
  /** Stop (kill the task of) a container with a property no exception allows: mode enforce only. */
  enforce: boolean;
}

export const DEFAULT_POSTURE: PostureSettings = { level: "baseline", enforce: false };

/** spec.capture: drift files up to maxBytes are captured as samples (absent: none). */
export interface CaptureSettings {
  maxBytes: number;
}

/** The largest capture.maxBytes (native/decide/SampleCapture.hh kCaptureMaxBytesLimit). */
export const CAPTURE_MAX_BYTES_LIMIT = 64 * 1024 * 1024;

export interface PolicyAllow {
  /** Globs of paths inside the container whose drift is allowed. */
  paths: PathException[];
  digests: DigestException[];
  /** Programs allowed to create and run new binaries (a JIT, a build tool). */
  parents: PathException[];
  volumes: VolumeException[];
  /** Posture properties allowed; absent: none. */
  posture?: PostureException[];
}

export interface DriftPolicy {
  name: string;
  /** Where the policy was defined: for logs, `policy check` and `policy explain`. */
  source: { file: string; line: number };
  priority: number;
  mode: PolicyMode;
  enforceAfter?: EnforceAfter;
  selector: PolicySelector;
  allow: PolicyAllow;
  deny: DenyRule[];
  /** Absent: DEFAULT_POSTURE. */
  posture?: PostureSettings;
  /** Absent: no samples. */
  capture?: CaptureSettings;
}

/** What a policy is matched against: one container of one pod. */
export interface Workload {
  /** Kubernetes namespace; undefined for a container that is not a pod's. */
  namespace?: string;
  podLabels: Record<string, string>;
  /** Image reference as the runtime knows it, e.g. docker.io/library/nginx:1.27. */
  image: string;
  /** Manifest digest "sha256:<hex>", when known. */
  imageDigest?: string;
  /** Container name in the pod spec. */
  container?: string;
}
