// Raw AgentService.Report exchanges for collector tests: an agent (certificate, token) sends
// a heartbeat and a batch for some node and cluster, and the test sees the ack or the status
// the collector ended the stream with.
import { randomBytes } from "node:crypto";
import * as grpc from "@grpc/grpc-js";

import { encodeMessage } from "../../src/api/apiProto";
import type { ApiFinding } from "../../src/api/types";
import type { CertFiles } from "../../src/collector/certs";
import { createAgentClient, encodeBatchRequest } from "../../src/report/agentClient";
import { toApiFinding } from "../../src/report/apiFinding";
import type { Harness } from "./collectorHarness";
import { driftFinding } from "./findingFixtures";

export interface ReportResult {
  ack?: { batchId: number; inserted: number; merged: number };
  code?: number;
  details?: string;
}

/** A finding reported by the agent of `node` in `cluster`, id unique per (node, i). */
export function nodeFinding(node: string, cluster: string, i: number, over: Partial<ApiFinding> = {}): ApiFinding {
  const now = Date.now();
  const f = toApiFinding(driftFinding(i, { node }), {
    id: `${node}-${i}`.replace(/[^A-Za-z0-9_-]/g, "_"),
    cluster,
    firstSeenMs: now,
    lastSeenMs: now,
    count: 1,
  });
  return { ...f, ...over };
}

export interface ReportOptions {
  /** The agent's token (sent as "authorization: Bearer"). */
  token?: string;
  cert?: CertFiles;
  /** The heartbeat's node and cluster. Default node-a, prod. */
  node?: string;
  cluster?: string;
  /** The batch. Default: one finding of the heartbeat's node and cluster. */
  findings?: ApiFinding[];
}

/** A stream held open: heartbeat and batch sent; `result` settles with the first ack or the error. */
export function openReport(
  h: Harness,
  o: ReportOptions = {},
): { result: Promise<ReportResult>; ended: Promise<ReportResult>; close(): void } {
  const node = o.node ?? "node-a";
  const cluster = o.cluster ?? "prod";
  const client = createAgentClient(h.agentConnection(o.cert));
  const metadata = new grpc.Metadata();
  if (o.token) metadata.set("authorization", `Bearer ${o.token}`);
  const call = client.Report(metadata);
  const { first: result, ended } = outcome(call, (r: { ack?: ReportResult["ack"] }) => ({ ack: r.ack }));
  call.write({ heartbeat: { node, cluster, agentVersion: "test", mode: "POLICY_MODE_AUDIT" } });
  const findings = o.findings ?? [nodeFinding(node, cluster, Math.floor(Math.random() * 1e9))];
  call.write(
    encodeBatchRequest(
      1,
      findings.map((f) => encodeMessage("Finding", f)),
    ),
  );
  return {
    result,
    ended,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

/** One exchange: the ack of the batch, or the status the stream ended with. */
export async function reportOnce(h: Harness, o: ReportOptions = {}): Promise<ReportResult> {
  const stream = openReport(h, o);
  try {
    return await stream.result;
  } finally {
    stream.close();
  }
}

/** An UploadSamples stream held open after one offer: `answer` settles with the first answer or the error. */
export function openUpload(
  h: Harness,
  o: { token?: string; cert?: CertFiles } = {},
): { answer: Promise<ReportResult & { answer?: string }>; ended: Promise<ReportResult>; close(): void } {
  const client = createAgentClient(h.agentConnection(o.cert)) as unknown as grpc.Client & {
    UploadSamples(m: grpc.Metadata): grpc.ClientDuplexStream<object, { answer: string }>;
  };
  const metadata = new grpc.Metadata();
  if (o.token) metadata.set("authorization", `Bearer ${o.token}`);
  const call = client.UploadSamples(metadata);
  const { first: answer, ended } = outcome(call, (r: { answer: string }) => ({ answer: r.answer }));
  // A sample nobody has: the collector answers SEND and waits for its bytes.
  call.write({ offer: { sha256: randomBytes(32).toString("hex"), size: 1024 } });
  return {
    answer,
    ended,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

/** A stream's first message (or its error) and how it ended: the status, or {} for a clean end. */
function outcome<M, R extends object>(
  call: NodeJS.EventEmitter,
  read: (message: M) => R,
): { first: Promise<R | ReportResult>; ended: Promise<ReportResult> } {
  let first: (r: R | ReportResult) => void = () => undefined;
  let last: (r: ReportResult) => void = () => undefined;
  const firstPromise = new Promise<R | ReportResult>((resolve) => (first = resolve));
  const ended = new Promise<ReportResult>((resolve) => (last = resolve));
  call.on("data", (m: M) => first(read(m)));
  call.on("error", (e: grpc.ServiceError) => {
    first({ code: e.code, details: e.details });
    last({ code: e.code, details: e.details });
  });
  call.on("end", () => last({}));
  return { first: firstPromise, ended };
}
