// Delivers the spool to the collector over AgentService.Report: heartbeats, batches read
// from the spool, acks that let the spool forget them. On any stream failure it reconnects
// with exponential backoff and jitter and resends everything not acknowledged (at least
// once; the collector deduplicates by finding id). The credential files (CA, certificate,
// key, the pod's token) are read at each connect and checked for changes with every
// heartbeat: the kubelet rotates the token and a Secret's certificate in place, and the
// stream then reconnects with the new ones, well before the old token expires.
//
// Runs on the agent's JS thread; never blocks it (all waits are timers and stream events).
import * as grpc from "@grpc/grpc-js";

import type { Heartbeat, ReportResponse } from "../api/agentTypes";
import type { Logger } from "../log/logger";
import { Backoff } from "../util/backoff";
import {
  createAgentClient,
  encodeBatchRequest,
  readCredentialFiles,
  reportMetadata,
  type AgentServiceClient,
  type CollectorConnection,
  type CredentialFiles,
} from "./agentClient";
import type { Spool } from "./spool/Spool";
import { errorMessage } from "../util/errorMessage";

export interface CollectorStreamOptions {
  connection: CollectorConnection;
  spool: Spool;
  heartbeat: () => Heartbeat;
  logger: Logger;
  /** Findings per batch. Default 500. */
  batchRecords?: number;
  /** Payload bytes per batch (under the collector's message limit). Default 1 MiB. */
  batchBytes?: number;
  /** Batches sent and not yet acknowledged, at most. Default 4. */
  inflight?: number;
  /** Default 10 s. */
  heartbeatMs?: number;
  /** A batch not acknowledged within this time is resent on a new stream. Default 30 s. */
  ackTimeoutMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface CollectorStreamStats {
  connected: boolean;
  connects: number;
  batchesAcked: number;
  findingsAcked: number;
  /** Findings the collector rejected as invalid (INVALID_ARGUMENT): dropped. */
  rejected: number;
  lastError: string;
  /** Send-to-ack latency of each acknowledged batch since the last call to takeAckLatencies. */
  ackLatenciesMs: number[];
}

interface Inflight {
  batchId: number;
  lastSeq: number;
  records: number;
  sentAt: number;
}

export class CollectorStream {
  private client: AgentServiceClient;
  /** The files the client and the current stream were made with. */
  private files: CredentialFiles;
  private call?: grpc.ClientDuplexStream<Buffer | object, object>;
  private inflight: Inflight[] = [];
  private cursor = 0;
  private batchId = 0;
  private stopped = false;
  private retryTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private ackTimer?: NodeJS.Timeout;
  private readonly backoff: Backoff;
  private readonly s: CollectorStreamStats = {
    connected: false,
    connects: 0,
    batchesAcked: 0,
    findingsAcked: 0,
    rejected: 0,
    lastError: "",
    ackLatenciesMs: [],
  };

  /** Throws when a credential file cannot be read now. */
  constructor(private readonly o: CollectorStreamOptions) {
    this.files = readCredentialFiles(o.connection);
    this.client = createAgentClient(o.connection, this.files);
    this.backoff = new Backoff({ initialMs: o.backoff?.initialMs ?? 250, maxMs: o.backoff?.maxMs ?? 10_000 });
  }

  start(): void {
    this.connect();
    this.heartbeatTimer = setInterval(() => {
      if (!this.renewIfRotated()) this.sendHeartbeat();
    }, this.o.heartbeatMs ?? 10_000);
    this.heartbeatTimer.unref();
  }

  /** A heartbeat now, outside the interval (the agent's status changed). */
  heartbeatNow(): void {
    this.sendHeartbeat();
  }

  /** New records in the spool: send them if the window allows. */
  wake(): void {
    if (this.call) this.pump();
  }

  stats(): CollectorStreamStats {
    return { ...this.s, ackLatenciesMs: [...this.s.ackLatenciesMs] };
  }

  takeAckLatencies(): number[] {
    const taken = this.s.ackLatenciesMs;
    this.s.ackLatenciesMs = [];
    return taken;
  }

  /** Closes the stream; unacknowledged findings stay in the spool for the next start. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.ackTimer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client.close();
  }

  private connect(): void {
    if (this.stopped) return;
    try {
      this.useFiles(readCredentialFiles(this.o.connection));
    } catch (error) {
      this.s.lastError = errorMessage(error);
      const delay = this.backoff.next();
      this.o.logger.error({ err: this.s.lastError, retryInMs: delay }, "collector credentials unreadable");
      this.retryTimer = setTimeout(() => this.connect(), delay);
      return;
    }
    const call = this.client.Report(reportMetadata(this.files));
    this.call = call;
    this.inflight = [];
    this.cursor = this.o.spool.acked;
    this.s.connects++;
    call.on("data", (response: ReportResponse) => this.onResponse(call, response));
    call.on("error", (error: grpc.ServiceError) => this.onFailure(call, error));
    call.on("end", () => this.onFailure(call, { code: grpc.status.UNAVAILABLE, details: "stream ended" }));
    this.sendHeartbeat();
    this.pump();
  }

  private pump(): void {
    const call = this.call;
    if (!call) return;
    const max = this.o.inflight ?? 4;
    while (this.inflight.length < max) {
      const records = this.o.spool.read(this.cursor, this.o.batchRecords ?? 500, this.o.batchBytes ?? 1 << 20);
      if (records.length === 0) break;
      const batchId = ++this.batchId;
      const lastSeq = records[records.length - 1].seq;
      this.inflight.push({ batchId, lastSeq, records: records.length, sentAt: performance.now() });
      this.cursor = lastSeq;
      call.write(
        encodeBatchRequest(
          batchId,
          records.map((r) => r.payload),
        ),
      );
    }
    this.armAckTimer();
  }

  private onResponse(call: grpc.ClientDuplexStream<Buffer | object, object>, response: ReportResponse): void {
    if (call !== this.call || !response.ack) return;
    const head = this.inflight[0];
    if (!head || head.batchId !== Number(response.ack.batchId)) {
      this.onFailure(call, { code: grpc.status.INTERNAL, details: `unexpected ack for batch ${response.ack.batchId}` });
      return;
    }
    this.inflight.shift();
    this.o.spool.ack(head.lastSeq);
    this.s.batchesAcked++;
    this.s.findingsAcked += head.records;
    if (this.s.ackLatenciesMs.length < 1_000_000) this.s.ackLatenciesMs.push(performance.now() - head.sentAt);
    if (!this.s.connected) {
      this.s.connected = true;
      this.o.logger.info({ address: this.o.connection.address }, "collector stream delivering");
    }
    this.backoff.reset();
    this.pump();
  }

  private onFailure(
    call: grpc.ClientDuplexStream<Buffer | object, object>,
    error: { code?: number; details?: string; message?: string },
  ): void {
    if (call !== this.call) return;
    this.call = undefined;
    call.cancel();
    clearTimeout(this.ackTimer);
    const head = this.inflight[0];
    if (error.code === grpc.status.INVALID_ARGUMENT && head) {
      // Version skew or a bug: retrying the same batch would wedge delivery forever.
      this.o.spool.ack(head.lastSeq);
      this.s.rejected += head.records;
      this.o.logger.error(
        { records: head.records, details: error.details },
        "collector rejected a batch as invalid; dropped",
      );
    }
    this.s.connected = false;
    this.s.lastError = error.details ?? error.message ?? String(error.code);
    if (this.stopped) return;
    const delay = this.backoff.next();
    const level =
      error.code === grpc.status.UNAUTHENTICATED || error.code === grpc.status.PERMISSION_DENIED ? "error" : "warn";
    this.o.logger[level](
      { code: error.code, details: this.s.lastError, retryInMs: delay, pending: this.o.spool.pending },
      "collector stream failed; findings stay in the spool",
    );
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** A new client when the TLS files changed (a token alone needs only a new stream). */
  private useFiles(files: CredentialFiles): void {
    if (tlsChanged(files, this.files)) {
      this.client.close();
      this.client = createAgentClient(this.o.connection, files);
    }
    this.files = files;
  }

  /** Reconnects at once when a credential file changed; true if it did. */
  private renewIfRotated(): boolean {
    const call = this.call;
    if (!call) return false;
    let files: CredentialFiles;
    try {
      files = readCredentialFiles(this.o.connection);
    } catch {
      return false; // mid-rotation; the stream keeps its credentials, the next check reads again
    }
    if (files.token === this.files.token && !tlsChanged(files, this.files)) return false;
    this.o.logger.info("collector credentials rotated; reconnecting with the new ones");
    this.call = undefined;
    call.cancel(); // its unacknowledged batches are sent again on the new stream
    clearTimeout(this.ackTimer);
    this.connect();
    return true;
  }

  private sendHeartbeat(): void {
    this.call?.write({ heartbeat: this.o.heartbeat() });
  }

  private armAckTimer(): void {
    clearTimeout(this.ackTimer);
    const head = this.inflight[0];
    const call = this.call;
    if (!head || !call) return;
    const timeout = this.o.ackTimeoutMs ?? 30_000;
    this.ackTimer = setTimeout(
      () => this.onFailure(call, { code: grpc.status.DEADLINE_EXCEEDED, details: `no ack within ${timeout} ms` }),
      Math.max(0, head.sentAt + timeout - performance.now()),
    );
    this.ackTimer.unref();
  }
}

function tlsChanged(a: CredentialFiles, b: CredentialFiles): boolean {
  const same = (x?: Buffer, y?: Buffer) => x === y || (!!x && !!y && x.equals(y));
  return !same(a.ca, b.ca) || !same(a.key, b.key) || !same(a.cert, b.cert);
}
