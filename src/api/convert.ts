// Conversions between the API's enum names and timestamps and the domain's values
// ("new_file", milliseconds since the epoch), used by the agent and the collector alike.
import { AGENT_STATUSES, type AgentStatus } from "../domain/agentStatus";
import { DRIFT_REASONS, type DriftReason } from "../domain/driftReason";
import { ACTIONS, POLICY_MODES, VERDICTS, type Action, type PolicyMode, type Verdict } from "../domain/verdict";
import { WORKLOAD_KINDS, type WorkloadKind } from "../domain/workload";
import type {
  ActionName,
  DriftReasonName,
  PolicyModeName,
  Timestamp,
  TriageStatusName,
  VerdictName,
  WorkloadKindName,
} from "./types";
import type { AgentStatusName } from "./agentTypes";

export type TriageStatus = "new" | "acknowledged" | "resolved" | "false_positive";

export const TRIAGE_STATUSES: readonly TriageStatus[] = ["new", "acknowledged", "resolved", "false_positive"];

function toName<N extends string>(prefix: string, value: string): N {
  return `${prefix}_${value.toUpperCase()}` as N;
}

/** The domain value of an enum name, or undefined for *_UNSPECIFIED and unknown values. */
function fromName<T extends string>(prefix: string, allowed: readonly T[], name: string | number): T | undefined {
  if (typeof name !== "string" || !name.startsWith(prefix + "_")) return undefined;
  const value = name.slice(prefix.length + 1).toLowerCase() as T;
  return allowed.includes(value) ? value : undefined;
}

export const reasonName = (r: DriftReason): DriftReasonName => toName("DRIFT_REASON", r);
export const reasonFromName = (n: string | number): DriftReason | undefined =>
  fromName("DRIFT_REASON", DRIFT_REASONS, n);
export const verdictName = (v: Verdict): VerdictName => toName("VERDICT", v);
export const verdictFromName = (n: string | number): Verdict | undefined => fromName("VERDICT", VERDICTS, n);
export const actionName = (a: Action): ActionName => toName("ACTION", a);
export const actionFromName = (n: string | number): Action | undefined => fromName("ACTION", ACTIONS, n);
export const modeName = (m: PolicyMode): PolicyModeName => toName("POLICY_MODE", m);
export const modeFromName = (n: string | number): PolicyMode | undefined => fromName("POLICY_MODE", POLICY_MODES, n);
export const agentStatusName = (s: AgentStatus): AgentStatusName => toName("AGENT_STATUS", s);
export const agentStatusFromName = (n: string | number): AgentStatus | undefined =>
  fromName("AGENT_STATUS", AGENT_STATUSES, n);
export const workloadKindName = (k: WorkloadKind): WorkloadKindName => toName("WORKLOAD_KIND", k);
export const workloadKindFromName = (n: string | number): WorkloadKind | undefined =>
  fromName("WORKLOAD_KIND", WORKLOAD_KINDS, n);
export const triageName = (s: TriageStatus): TriageStatusName => toName("TRIAGE_STATUS", s);
export const triageFromName = (n: string | number): TriageStatus | undefined =>
  fromName("TRIAGE_STATUS", TRIAGE_STATUSES, n);

export function toTimestamp(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round(ms - seconds * 1000) * 1_000_000 };
}

/** Milliseconds, or undefined for an absent timestamp. */
export function fromTimestamp(ts: Timestamp | null | undefined): number | undefined {
  if (!ts) return undefined;
  return Number(ts.seconds) * 1000 + Math.floor(Number(ts.nanos) / 1_000_000);
}
