// The filter flags of `driftguard findings` (list, watch, groups, export, bulk triage) as a
// FindingFilter, each checked here with a message saying what a right value looks like.
import { reasonName, toTimestamp, triageName, verdictName, workloadKindName, TRIAGE_STATUSES } from "../api/convert";
import type { TriageStatus } from "../api/convert";
import type { FindingFilter } from "../api/types";
import { emptyFilter } from "../collector/records";
import { DRIFT_REASONS, reasonsMatching } from "../domain/driftReason";
import { VERDICTS, type Verdict } from "../domain/verdict";
import { WORKLOAD_KIND, WORKLOAD_KINDS, type WorkloadKind } from "../domain/workload";
import { UsageError } from "./command";
import type { FlagSpec, ParsedFlags } from "./flags";

export const FILTER_FLAGS: FlagSpec[] = [
  "cluster",
  "namespace",
  "pod",
  "container",
  "workload",
  "image",
  "node",
  "path",
  "sha256",
  "reason",
  "verdict",
  "status",
  "since",
  "until",
].map((name) => ({ name }));

export const FILTER_USAGE = `Filters (list, watch, groups, export, triage --all-matching):
  --cluster --namespace --node --container NAME   exact
  --pod PREFIX              pods whose name starts with it (a Deployment's pods: its name)
  --workload [KIND/]NAME    the owning workload, e.g. Deployment/payments-api
  --image REF               exact image reference, or REF* for a prefix
  --path PREFIX             paths inside the container starting with it
  --sha256 HEX              the executed file's SHA-256
  --reason REASON or a glob (posture_* for every posture finding): ${DRIFT_REASONS.join("|")}
  --verdict ${VERDICTS.join("|")}   --status ${TRIAGE_STATUSES.join("|")}
  --since/--until TIME      an ISO time (2026-01-05T12:00:00Z) or an age like 30m, 6h, 7d`;

function oneOf<T extends string>(flags: ParsedFlags, name: string, allowed: readonly T[]): T | undefined {
  const value = flags.values.get(name);
  if (value !== undefined && !allowed.includes(value as T)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`);
  }
  return value as T | undefined;
}

export function filterFrom(flags: ParsedFlags, now = Date.now()): FindingFilter {
  const v = (name: string) => flags.values.get(name) ?? "";
  const reasons = flags.values.has("reason") ? reasonsMatching(v("reason")) : [];
  if (flags.values.has("reason") && reasons.length === 0) {
    throw new UsageError(`--reason matches no reason; reasons are ${DRIFT_REASONS.join(", ")}`);
  }
  const verdict = oneOf<Verdict>(flags, "verdict", VERDICTS);
  const status = oneOf<TriageStatus>(flags, "status", TRIAGE_STATUSES);
  const since = flags.values.has("since") ? parseTime(v("since"), "since", now) : undefined;
  const until = flags.values.has("until") ? parseTime(v("until"), "until", now) : undefined;
  if (since !== undefined && until !== undefined && until <= since) {
    throw new UsageError(`--until must be later than --since (${new Date(until).toISOString()} is not)`);
  }
  const sha256 = v("sha256").toLowerCase();
  if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) throw new UsageError("--sha256 must be 64 hex digits");
  const image = v("image");
  const workload = parseWorkload(v("workload"));
  return {
    ...emptyFilter(),
    since: since === undefined ? null : toTimestamp(since),
    until: until === undefined ? null : toTimestamp(until),
    cluster: v("cluster"),
    namespace: v("namespace"),
    podPrefix: v("pod"),
    container: v("container"),
    image: image.endsWith("*") ? "" : image,
    imagePrefix: image.endsWith("*") ? image.slice(0, -1) : "",
    node: v("node"),
    pathPrefix: v("path"),
    sha256,
    workloadKind: workload.kind ? workloadKindName(workload.kind) : "WORKLOAD_KIND_UNSPECIFIED",
    workloadName: workload.name,
    // One reason as before (collectors without `reasons` understand it); a glob as a list.
    reason: reasons.length === 1 ? reasonName(reasons[0]) : "DRIFT_REASON_UNSPECIFIED",
    reasons: reasons.length > 1 ? reasons.map(reasonName) : [],
    verdict: verdict ? verdictName(verdict) : "VERDICT_UNSPECIFIED",
    triageStatus: status ? triageName(status) : "TRIAGE_STATUS_UNSPECIFIED",
  };
}

/** "Deployment/payments-api", "deployment/payments-api" or "payments-api". */
function parseWorkload(text: string): { kind?: WorkloadKind; name: string } {
  if (!text) return { name: "" };
  const slash = text.indexOf("/");
  if (slash < 0) return { name: text };
  const kindText = text.slice(0, slash).toLowerCase();
  const kind = WORKLOAD_KINDS.find((k) => k === kindText);
  if (!kind) {
    const kinds = WORKLOAD_KINDS.map((k) => WORKLOAD_KIND[k].label).join(", ");
    throw new UsageError(`--workload ${JSON.stringify(text)}: the kind before / must be one of ${kinds}`);
  }
  return { kind, name: text.slice(slash + 1) };
}

const AGE_UNITS = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** An ISO time, or an age ("90s", "30m", "6h", "7d", "2w") before now; never in the future. */
export function parseTime(text: string, flag: string, now = Date.now()): number {
  const age = /^(\d+)([smhdw])$/.exec(text.trim());
  const ms = age
    ? now - Number(age[1]) * AGE_UNITS[age[2] as keyof typeof AGE_UNITS]
    : /^\d{4}-\d{2}-\d{2}/.test(text)
      ? Date.parse(text)
      : NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--${flag} must be an ISO time like 2026-01-05 or 2026-01-05T12:00:00Z, or an age like 30m, 6h, 7d (got ${JSON.stringify(text)})`,
    );
  }
  if (ms > now + 60_000) throw new UsageError(`--${flag} ${text} is in the future`);
  return ms;
}
