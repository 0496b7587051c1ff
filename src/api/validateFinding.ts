// The one check of a reported Finding, applied by the agent before spooling and by the
// collector at ingest. Returns what is wrong (for INVALID_ARGUMENT details), or "". The
// bounds on string fields are a table the agent also fits its findings to (fitFinding.ts),
// so that a long value is cut rather than the finding dropped.
import { isPostureReason } from "../domain/driftReason";
import { actionFromName, fromTimestamp, modeFromName, reasonFromName, verdictFromName } from "./convert";
import { TECHNIQUE_ID } from "../domain/attackTechnique";
import type { ApiFinding } from "./types";
import { checkLineage, checkWriter } from "./validateLineage";

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const REF_LIMIT = 1024;

export interface StringLimit {
  /** Where the field is in ApiFinding: "path", "process.commandLine". */
  field: string;
  /** At most this many UTF-16 code units (JavaScript's string length). */
  max: number;
  /** The agent may cut it to fit (not identities the collector checks: cluster, node). */
  cut: boolean;
}

/** Bounds on string fields, far above what the agent reads (the command line: 4 KiB). */
export const STRING_LIMITS: readonly StringLimit[] = [
  { field: "cluster", max: 253, cut: false },
  { field: "node", max: 253, cut: false },
  { field: "path", max: 4096, cut: true },
  { field: "hostPath", max: 4096, cut: true },
  { field: "policyName", max: 253, cut: true },
  { field: "copyOf", max: 4096, cut: true },
  { field: "process.executable", max: 4096, cut: true },
  { field: "process.parentExecutable", max: 4096, cut: true },
  { field: "process.commandLine", max: 8192, cut: true },
  ...["namespace", "pod", "podUid", "container"].map((k) => ({ field: `kubernetes.${k}`, max: REF_LIMIT, cut: true })),
  ...["id", "runtimeNamespace", "image", "imageDigest"].map((k) => ({
    field: `container.${k}`,
    max: REF_LIMIT,
    cut: true,
  })),
  { field: "workload.name", max: REF_LIMIT, cut: true },
  { field: "workload.inferredFrom", max: REF_LIMIT, cut: true },
];

/** The value at `field` ("process.commandLine"), "" when absent. */
export function stringAt(f: ApiFinding, field: string): string {
  let value: unknown = f;
  for (const part of field.split(".")) value = (value as Record<string, unknown> | null | undefined)?.[part];
  return value === undefined || value === null ? "" : String(value);
}

/** The longest posture evidence a finding may carry (the agent clips to these: postureFinding.ts). */
export const POSTURE_FIELD_MAX = { specField: 256, value: 4096, key: 4096 } as const;
const POSTURE_LIMITS = Object.entries(POSTURE_FIELD_MAX);
const MAX_TECHNIQUES = 16;
// Findings from before 2020 or more than a day ahead mean a broken clock or a forged report.
const MIN_TIME_MS = Date.UTC(2020, 0, 1);
const MAX_AHEAD_MS = 24 * 3600_000;

export function checkFinding(f: ApiFinding, now = Date.now()): string {
  if (typeof f.id !== "string" || !ID.test(f.id)) return "id must be 1 to 64 characters of [A-Za-z0-9_-]";
  const first = fromTimestamp(f.firstSeen);
  const last = fromTimestamp(f.lastSeen);
  if (first === undefined || last === undefined) return "first_seen and last_seen are required";
  if (first < MIN_TIME_MS || last > now + MAX_AHEAD_MS || last < first) return "first_seen/last_seen out of range";
  if (!Number.isSafeInteger(f.count) || f.count < 1) return "count must be at least 1";
  const reason = reasonFromName(f.reason);
  if (!reason) return "reason is required (DRIFT_REASON_UNSPECIFIED or unknown)";
  if (!verdictFromName(f.verdict)) return "verdict is required (VERDICT_UNSPECIFIED or unknown)";
  if (!modeFromName(f.policyMode)) return "policy_mode is required (POLICY_MODE_UNSPECIFIED or unknown)";
  // ACTION_UNSPECIFIED: an agent from before actions; the verdict then says refused or audited.
  const action = actionFromName(f.action ?? "ACTION_UNSPECIFIED");
  if (!action && f.action && f.action !== "ACTION_UNSPECIFIED") return `unknown action ${String(f.action)}`;
  if (action && (action === "audited") !== (verdictFromName(f.verdict) === "audited"))
    return "action contradicts the verdict (audited iff the verdict is audited)";
  // A posture finding is about a container, not a file: its evidence says where instead.
  if (isPostureReason(reason)) {
    if (!f.posture?.specField) return "posture.spec_field is required for a posture reason";
  } else if (!f.path) return "path is required";
  const techniques = f.attackTechniques ?? [];
  if (techniques.length > MAX_TECHNIQUES) return `more than ${MAX_TECHNIQUES} attack_techniques`;
  const badTechnique = techniques.find((t) => typeof t !== "string" || !TECHNIQUE_ID.test(t));
  if (badTechnique !== undefined)
    return `attack_techniques: ${JSON.stringify(badTechnique).slice(0, 40)} is not T1234 or T1234.567`;
  if (f.sha256 && !/^[0-9a-f]{64}$/.test(f.sha256)) return "sha256 must be 64 lowercase hex characters or empty";
  for (const { field, max } of STRING_LIMITS) {
    if (stringAt(f, field).length > max) return `${field} longer than ${max}`;
  }
  for (const [field, max] of POSTURE_LIMITS) {
    const value = f.posture ? (f.posture as unknown as Record<string, unknown>)[field] : "";
    if (String(value ?? "").length > max) return `posture.${field} longer than ${max}`;
  }
  const context = checkLineage(f.lineage) || checkWriter(f.writer);
  if (context) return context;
  const truncated = f.truncatedFields ?? [];
  if (truncated.length > STRING_LIMITS.length || truncated.some((name) => !/^[a-z_.]{1,64}$/.test(name)))
    return "truncated_fields must name fields (at most one entry per string field)";
  return "";
}
