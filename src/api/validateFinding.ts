// The one check of a reported Finding, applied by the agent before spooling and by the
// collector at ingest. Returns what is wrong (for INVALID_ARGUMENT details), or "".
import { isPostureReason } from "../domain/driftReason";
import { actionFromName, fromTimestamp, modeFromName, reasonFromName, verdictFromName } from "./convert";
import { TECHNIQUE_ID } from "../domain/attackTechnique";
import type { ApiFinding } from "./types";
import { checkLineage, checkWriter } from "./validateLineage";

const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Bounds on string fields, far above what the agent produces (cmdline is cut at 4 KiB). */
const LIMITS: [string, number][] = [
  ["cluster", 253],
  ["node", 253],
  ["path", 4096],
  ["hostPath", 4096],
  ["sha256", 64],
  ["policyName", 253],
  ["copyOf", 4096],
];
const PROCESS_LIMITS: [string, number][] = [
  ["executable", 4096],
  ["parentExecutable", 4096],
  ["commandLine", 8192],
];
const REF_LIMIT = 1024;
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
  for (const [field, max] of LIMITS) {
    if (String((f as unknown as Record<string, unknown>)[field] ?? "").length > max)
      return `${field} longer than ${max}`;
  }
  for (const [field, max] of PROCESS_LIMITS) {
    const value = f.process ? (f.process as unknown as Record<string, unknown>)[field] : "";
    if (String(value ?? "").length > max) return `process.${field} longer than ${max}`;
  }
  for (const [field, max] of POSTURE_LIMITS) {
    const value = f.posture ? (f.posture as unknown as Record<string, unknown>)[field] : "";
    if (String(value ?? "").length > max) return `posture.${field} longer than ${max}`;
  }
  const context = checkLineage(f.lineage) || checkWriter(f.writer);
  if (context) return context;
  for (const ref of [f.kubernetes, f.container]) {
    for (const value of Object.values(ref ?? {})) {
      if (String(value).length > REF_LIMIT) return `a kubernetes or container field is longer than ${REF_LIMIT}`;
    }
  }
  return "";
}
