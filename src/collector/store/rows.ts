// Row conversions shared by both stores.
import type { TriageStatus } from "../../api/convert";
import { AGENT_STATUSES, type AgentStatus, type HealthReason } from "../../domain/agentStatus";
import type { AgentHeartbeatRecord, FindingSort, Page, StoredFinding, TriageEventRecord } from "./FindingStore";
import { encodePageToken, keyOf } from "./query";

/** rows: up to pageSize + 1, the extra one telling that there is a next page. */
export function toPage(rows: StoredFinding[], pageSize: number, sort: FindingSort): Page {
  const findings = rows.slice(0, pageSize);
  const last = findings[findings.length - 1];
  return { findings, nextPageToken: rows.length > pageSize && last ? encodePageToken(keyOf(last, sort)) : "" };
}

export function rowToEvent(row: Record<string, unknown>): TriageEventRecord {
  return {
    findingId: String(row.finding_id),
    timeMs: Number(row.time_ms),
    from: row.from_status as TriageStatus,
    to: row.to_status as TriageStatus,
    actor: String(row.actor),
    comment: String(row.comment),
    kind: row.kind === "recurred" ? "recurred" : "triage",
  };
}

const isAgentStatus = (s: string): boolean => (AGENT_STATUSES as readonly string[]).includes(s);

/** The agents table's columns in heartbeatValues' order. */
export const HEARTBEAT_COLUMNS =
  "cluster, node, version, mode, containers, spool_full, native_verdicts, rejected, spool_pending, spool_bytes, identity, last_seen_ms, status, status_reasons, status_since_ms";
const COLUMNS = HEARTBEAT_COLUMNS.split(", ");

/** The upsert of a heartbeat (by cluster and node); placeholder(i) spells the i-th parameter, from 1. */
export function heartbeatUpsert(placeholder: (i: number) => string): string {
  const values = COLUMNS.map((_, i) => placeholder(i + 1)).join(", ");
  const updated = COLUMNS.slice(2).map((c) => `${c} = excluded.${c}`);
  return `INSERT INTO agents (${HEARTBEAT_COLUMNS}) VALUES (${values})
    ON CONFLICT (cluster, node) DO UPDATE SET ${updated.join(", ")}`;
}

export function heartbeatValues(h: AgentHeartbeatRecord): (string | number)[] {
  return [
    h.cluster,
    h.node,
    h.version,
    h.mode,
    h.containers,
    h.spoolFull,
    h.nativeVerdicts,
    h.rejected,
    h.spoolPending,
    h.spoolBytes,
    h.identity,
    h.lastSeenMs,
    h.status,
    JSON.stringify(h.reasons),
    h.statusSinceMs,
  ];
}

export function rowToAgent(row: Record<string, unknown>): AgentHeartbeatRecord {
  return {
    cluster: String(row.cluster),
    node: String(row.node),
    version: String(row.version),
    mode: String(row.mode),
    containers: Number(row.containers),
    spoolFull: Number(row.spool_full),
    nativeVerdicts: Number(row.native_verdicts),
    rejected: Number(row.rejected),
    spoolPending: Number(row.spool_pending),
    spoolBytes: Number(row.spool_bytes),
    identity: String(row.identity),
    lastSeenMs: Number(row.last_seen_ms),
    status: isAgentStatus(String(row.status)) ? (String(row.status) as AgentStatus) : "unknown",
    reasons: reasonsOf(String(row.status_reasons)),
    statusSinceMs: Number(row.status_since_ms),
  };
}

/** The stored reasons; a row written by hand that does not parse reads as none. */
function reasonsOf(json: string): HealthReason[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed)
      ? parsed.map((r: Record<string, unknown>) => ({
          code: String(r.code),
          detail: String(r.detail),
          notReady: r.notReady === true,
        }))
      : [];
  } catch {
    return [];
  }
}
