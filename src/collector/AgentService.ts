// driftguard.v1.AgentService: agents' Report streams. Messages of one stream are handled
// in order, one at a time: a batch is acknowledged only after the store committed it, and
// acks leave in the order the batches came. A bad message ends the stream with
// INVALID_ARGUMENT; a store failure with UNAVAILABLE (the agent resends). Nothing a caller
// sends can throw out of a handler.
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage, serviceDefinition } from "../api/apiProto";
import { modeFromName } from "../api/convert";
import type { FindingBatch, Heartbeat, ReportRequest, ReportResponse } from "../api/types";
import { checkFinding } from "../api/validateFinding";
import type { Logger } from "../log/logger";
import { AGENT_ROLES, isAuthError, type Authenticator, type Caller } from "./auth/Authenticator";
import { recordFromApi } from "./records";
import type { FindingRecord, FindingStore } from "./store/FindingStore";
import { errorMessage } from "../util/errorMessage";

export const MAX_BATCH_FINDINGS = 1000;
/** Messages read ahead of the store, per stream; more pause the stream (TCP backpressure). */
const QUEUE_HIGH_WATER = 4;

export interface AgentServiceDeps {
  store: FindingStore;
  auth: Authenticator;
  logger: Logger;
  /** Called after a batch was stored (metrics, webhook); `added` are the findings stored for the first time. */
  onIngest?: (stored: { received: number; ms: number; added: FindingRecord[]; receivedMs: number }) => void;
  /** Report streams opened (+1) and ended (-1); heartbeats received (0). */
  onStream?: (change: 1 | -1 | 0) => void;
}

type ReportCall = grpc.ServerDuplexStream<ReportRequest | MalformedMessage, ReportResponse>;

export function addAgentService(server: grpc.Server, deps: AgentServiceDeps): void {
  server.addService(serviceDefinition("AgentService"), {
    Report: (call: ReportCall) => handleReport(call, deps),
  });
}

class StreamError {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {}
}

function handleReport(call: ReportCall, deps: AgentServiceDeps): void {
  const caller = deps.auth.check(call, AGENT_ROLES, "AgentService.Report");
  if (isAuthError(caller)) {
    deps.logger.warn({ peer: call.getPeer(), code: caller.code, details: caller.details }, "agent refused");
    call.emit("error", caller);
    return;
  }
  deps.onStream?.(1);
  let open = true;
  const closed = (): void => {
    if (open) deps.onStream?.(-1);
    open = false;
  };
  call.once("close", closed);
  call.once("cancelled", closed);
  let queued = 0;
  let failed = false;
  let chain = Promise.resolve();
  const fail = (code: grpc.status, details: string): void => {
    if (failed) return;
    failed = true;
    deps.logger.warn({ agent: caller.name, peer: call.getPeer(), code, details }, "agent stream ended with an error");
    call.emit("error", { code, details });
  };
  call.on("data", (message: ReportRequest | MalformedMessage) => {
    if (failed) return;
    if (++queued >= QUEUE_HIGH_WATER) call.pause();
    chain = chain
      .then(() => (failed ? undefined : handleMessage(call, message, caller, deps)))
      .catch((error: unknown) => {
        if (error instanceof StreamError) fail(error.code, error.details);
        else fail(grpc.status.UNAVAILABLE, `the collector's store failed: ${errorMessage(error)}`);
      })
      .finally(() => {
        if (--queued < QUEUE_HIGH_WATER) call.resume();
      });
  });
  call.on("end", () => {
    void chain.then(() => {
      if (!failed) call.end();
    });
  });
  call.on("error", () => undefined); // a cancelled call; nothing to answer
}

async function handleMessage(
  call: ReportCall,
  message: ReportRequest | MalformedMessage,
  caller: Caller,
  deps: AgentServiceDeps,
): Promise<void> {
  if (message instanceof MalformedMessage) {
    throw new StreamError(grpc.status.INVALID_ARGUMENT, `malformed ReportRequest: ${message.reason}`);
  }
  if (message.heartbeat) return recordHeartbeat(message.heartbeat, caller, deps);
  if (message.batch) return ingestBatch(call, message.batch, deps);
  throw new StreamError(grpc.status.INVALID_ARGUMENT, "a ReportRequest needs heartbeat or batch");
}

async function ingestBatch(call: ReportCall, batch: FindingBatch, deps: AgentServiceDeps): Promise<void> {
  const { findings } = batch;
  if (findings.length === 0 || findings.length > MAX_BATCH_FINDINGS) {
    throw new StreamError(
      grpc.status.INVALID_ARGUMENT,
      `a batch holds 1 to ${MAX_BATCH_FINDINGS} findings (got ${findings.length})`,
    );
  }
  const now = Date.now();
  for (let i = 0; i < findings.length; i++) {
    const problem = checkFinding(findings[i], now);
    if (problem)
      throw new StreamError(grpc.status.INVALID_ARGUMENT, `batch ${batch.batchId}, finding ${i}: ${problem}`);
  }
  const began = performance.now();
  const records = findings.map(recordFromApi);
  const result = await deps.store.ingest(records, now);
  if (deps.onIngest) {
    const added = new Set(result.insertedIds);
    const ms = performance.now() - began;
    deps.onIngest({ received: findings.length, ms, added: records.filter((r) => added.delete(r.id)), receivedMs: now });
  }
  call.write({ ack: { batchId: batch.batchId, inserted: result.inserted, merged: result.merged } });
}

async function recordHeartbeat(h: Heartbeat, caller: Caller, deps: AgentServiceDeps): Promise<void> {
  if (!h.node || h.node.length > 253 || h.cluster.length > 253 || h.agentVersion.length > 64) {
    throw new StreamError(grpc.status.INVALID_ARGUMENT, "a heartbeat needs a node name (at most 253 characters)");
  }
  deps.onStream?.(0);
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
    identity: caller.via === "certificate" ? caller.name : "",
    lastSeenMs: Date.now(),
  });
}
