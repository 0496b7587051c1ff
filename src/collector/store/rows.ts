// Row conversions shared by both stores.
import type { TriageStatus } from "../../api/convert";
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
  };
}
