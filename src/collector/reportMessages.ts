// What AgentService does with each message of a Report stream: a batch is validated,
// checked against the agent's identity (only its own node and cluster), stored and
// acknowledged; a heartbeat is checked the same way and recorded. Problems are thrown as
// a StreamError, which ends the stream with that status.
import * as grpc from "@grpc/grpc-js";

import { healthFromMessage } from "../api/agentHealthMessage";
import { modeFromName } from "../api/convert";
import type { FindingBatch, Heartbeat, ReportResponse } from "../api/agentTypes";
import { checkFinding } from "../api/validateFinding";
import type { AgentAuth, AgentIdentity } from "./identity/AgentAuth";
import { recordFromApi } from "./records";
import type { FindingRecord, FindingStore, StoredFinding } from "./store/FindingStore";

export const MAX_BATCH_FINDINGS = 1000;

export class StreamError {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {}
}

export interface IngestDeps {
  store: FindingStore;
  agents: AgentAuth;
  /**
   * Called after a batch was stored; `added` are the findings stored for the first time,
   * `reopened` those a recurrence reopened, `source` the agent identity.
   */
  onIngest?: (stored: {
    received: number;
    ms: number;
    added: FindingRecord[];
    reopened: StoredFinding[];
    receivedMs: number;
    source: string;
  }) => void;
  /** A heartbeat was received. */
  onHeartbeat?: () => void;
}

export async function ingestBatch(
  batch: FindingBatch,
  identity: AgentIdentity,
  deps: IngestDeps,
  write: (response: ReportResponse) => void,
): Promise<void> {
  const { findings } = batch;
  if (findings.length === 0 || findings.length > MAX_BATCH_FINDINGS) {
    throw new StreamError(
      grpc.status.INVALID_ARGUMENT,
      `a batch holds 1 to ${MAX_BATCH_FINDINGS} findings (got ${findings.length})`,
    );
  }
  const now = Date.now();
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i];
    const problem = checkFinding(f, now);
    if (problem)
      throw new StreamError(grpc.status.INVALID_ARGUMENT, `batch ${batch.batchId}, finding ${i}: ${problem}`);
    const foreign = deps.agents.checkReportedNode(
      identity,
      f.cluster,
      f.node,
      () => `batch ${batch.batchId}, finding ${i}`,
    );
    if (foreign) throw new StreamError(foreign.code, foreign.details);
  }
  const began = performance.now();
  const records = findings.map(recordFromApi);
  const result = await deps.store.ingest(records, now);
  if (deps.onIngest) {
    const added = new Set(result.insertedIds);
    deps.onIngest({
      received: findings.length,
      ms: performance.now() - began,
      added: records.filter((r) => added.delete(r.id)),
      reopened: result.reopened,
      receivedMs: now,
      source: identity.key,
    });
  }
  write({ ack: { batchId: batch.batchId, inserted: result.inserted, merged: result.merged } });
}

export async function recordHeartbeat(h: Heartbeat, identity: AgentIdentity, deps: IngestDeps): Promise<void> {
  if (!h.node || h.node.length > 253 || h.cluster.length > 253 || h.agentVersion.length > 64) {
    throw new StreamError(grpc.status.INVALID_ARGUMENT, "a heartbeat needs a node name (at most 253 characters)");
  }
  const foreign = deps.agents.checkReportedNode(identity, h.cluster, h.node, () => "the heartbeat");
  if (foreign) throw new StreamError(foreign.code, foreign.details);
  const health = healthFromMessage(h.health);
  if (typeof health === "string") throw new StreamError(grpc.status.INVALID_ARGUMENT, health);
  deps.onHeartbeat?.();
  await deps.store.recordHeartbeat({
    cluster: h.cluster,
    node: h.node,
    version: h.agentVersion,
    mode: modeFromName(h.mode) ?? "unknown",
    containers: h.containers,
    spoolFull: h.drops?.spoolFull ?? 0,
    nativeVerdicts: h.drops?.nativeVerdicts ?? 0,
    rejected: h.drops?.rejected ?? 0,
    spoolPending: h.spoolPending,
    spoolBytes: h.spoolBytes,
    identity: identity.name === "insecure" ? "" : identity.name,
    lastSeenMs: Date.now(),
    status: health?.status ?? "unknown",
    reasons: health?.reasons ?? [],
    statusSinceMs: health?.sinceMs ?? 0,
  });
}
