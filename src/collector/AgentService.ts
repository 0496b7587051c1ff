// driftguard.v1.AgentService: agents' Report streams. The stream's identity is settled when
// it opens (identity/AgentAuth.ts): its certificate, and its token where agents are bound to
// nodes; an identity has at most a few streams open, and its stream ends when its token
// expires or it is revoked. Messages of one stream are handled in order, one at a time: a
// batch is acknowledged only after the store committed it, and acks leave in the order the
// batches came. A bad message ends the stream with INVALID_ARGUMENT, a report for another
// node with PERMISSION_DENIED, a store failure with UNAVAILABLE (the agent resends).
// Nothing a caller sends can throw out of a handler.
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage, serviceDefinition } from "../api/apiProto";
import type { ReportRequest, ReportResponse } from "../api/agentTypes";
import type { Logger } from "../log/logger";
import type { AgentIdentity } from "./identity/AgentAuth";
import { holdAgentStream } from "./identity/holdAgentStream";
import { serveIdentified } from "./identity/serveIdentified";
import type { CallerStreams } from "./limits/CallerStreams";
import { StreamError, ingestBatch, recordHeartbeat, type IngestDeps } from "./reportMessages";
import { errorMessage } from "../util/errorMessage";

/** Messages read ahead of the store, per stream; more pause the stream (TCP backpressure). */
const QUEUE_HIGH_WATER = 4;

export interface AgentServiceDeps extends IngestDeps {
  logger: Logger;
  /** Open Report streams per agent identity. */
  streams: CallerStreams;
  /** Report streams opened (+1) and ended (-1). */
  onStream?: (change: 1 | -1) => void;
  /** UploadSamples (samples/uploadSamples.ts); absent: UNIMPLEMENTED, as an older collector answers. */
  uploadSamples?: grpc.handleBidiStreamingCall<object, object>;
}

type ReportCall = grpc.ServerDuplexStream<ReportRequest | MalformedMessage, ReportResponse>;

export function addAgentService(server: grpc.Server, deps: AgentServiceDeps): void {
  server.addService(serviceDefinition("AgentService"), {
    Report: (call: ReportCall) => handleReport(call, deps),
    ...(deps.uploadSamples ? { UploadSamples: deps.uploadSamples } : {}),
  });
}

function handleReport(call: ReportCall, deps: AgentServiceDeps): void {
  serveIdentified(call, deps.agents, deps.logger, "agent refused", (c, identity) => serveReport(c, identity, deps));
}

function serveReport(call: ReportCall, identity: AgentIdentity, deps: AgentServiceDeps): void {
  const log = { agent: identity.name, node: identity.bound?.node, peer: call.getPeer() };
  let failed = false;
  let open = true;
  const closed = (): void => {
    if (!open) return;
    open = false;
    release?.();
    deps.onStream?.(-1);
  };
  const fail = (code: grpc.status, details: string): void => {
    if (failed) return;
    failed = true;
    deps.logger.warn({ ...log, code, details }, "agent stream ended with an error");
    call.emit("error", { code, details });
    closed();
  };
  const release = holdAgentStream(identity, deps.streams, fail);
  if (!release) {
    const refusal = deps.streams.refusal(identity.key);
    deps.logger.warn({ ...log, details: refusal.details }, "agent refused: too many streams");
    call.emit("error", refusal);
    return;
  }
  deps.onStream?.(1);
  call.once("close", closed);
  call.once("cancelled", closed);
  let queued = 0;
  let chain = Promise.resolve();
  call.on("data", (message: ReportRequest | MalformedMessage) => {
    if (failed) return;
    if (++queued >= QUEUE_HIGH_WATER) call.pause();
    chain = chain
      .then(() => (failed ? undefined : handleMessage(call, message, identity, deps)))
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
}

async function handleMessage(
  call: ReportCall,
  message: ReportRequest | MalformedMessage,
  identity: AgentIdentity,
  deps: AgentServiceDeps,
): Promise<void> {
  if (message instanceof MalformedMessage) {
    throw new StreamError(grpc.status.INVALID_ARGUMENT, `malformed ReportRequest: ${message.reason}`);
  }
  if (message.heartbeat) return recordHeartbeat(message.heartbeat, identity, deps);
  if (message.batch) return ingestBatch(message.batch, identity, deps, (response) => call.write(response));
  throw new StreamError(grpc.status.INVALID_ARGUMENT, "a ReportRequest needs heartbeat or batch");
}
