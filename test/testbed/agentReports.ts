// Raw AgentService.Report exchanges for collector tests: an agent (certificate, token) sends
// a heartbeat and a batch for some node and cluster, and the test sees the ack or the status
// the collector ended the stream with.
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
  let first: (r: ReportResult) => void = () => undefined;
  let last: (r: ReportResult) => void = () => undefined;
  const result = new Promise<ReportResult>((resolve) => (first = resolve));
  const ended = new Promise<ReportResult>((resolve) => (last = resolve));
  call.on("data", (r: { ack?: ReportResult["ack"] }) => first({ ack: r.ack }));
  call.on("error", (e: grpc.ServiceError) => {
    first({ code: e.code, details: e.details });
    last({ code: e.code, details: e.details });
  });
  call.on("end", () => last({}));
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
