// The collector refuses what it must — unauthenticated or wrong-role callers, foreign or
// expired certificates, oversize and malformed messages, garbage on the port — and keeps
// serving after each.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";

import { encodeMessage } from "../../../src/api/apiProto";
import { FindingsClient } from "../../../src/collector/findingsClient";
import { createAgentClient, encodeBatchRequest, type CollectorConnection } from "../../../src/report/agentClient";
import { toApiFinding } from "../../../src/report/apiFinding";
import { driftFinding } from "../../testbed/findingFixtures";
import { startHarness, type Harness } from "../../testbed/collectorHarness";

const MAX_MESSAGE = 256 * 1024;

function apiFinding(i: number, id = `sec${i}`) {
  const now = Date.now();
  return toApiFinding(driftFinding(i), { id, cluster: "prod", firstSeenMs: now, lastSeenMs: now, count: 1 });
}

/** One Report exchange: heartbeat and one batch (or raw bytes); the ack or the error status. */
function report(
  connection: CollectorConnection,
  message?: Buffer,
): Promise<{ ack?: unknown; code?: number; details?: string }> {
  const client = createAgentClient(connection);
  return new Promise((resolve) => {
    const call = client.Report();
    const done = (result: { ack?: unknown; code?: number; details?: string }) => {
      call.cancel();
      client.close();
      resolve(result);
    };
    call.on("data", (r: { ack?: unknown }) => done({ ack: r.ack }));
    call.on("error", (e: grpc.ServiceError) => done({ code: e.code, details: e.details }));
    call.write({ heartbeat: { node: "node-a", cluster: "prod", agentVersion: "test", mode: "POLICY_MODE_AUDIT" } });
    call.write(message ?? encodeBatchRequest(1, [encodeMessage("Finding", apiFinding(1))]));
  });
}

/** A unary FindingService call with raw request bytes. */
function rawUnary(h: Harness, method: string, bytes: Buffer, token: string): Promise<grpc.ServiceError | Buffer> {
  const Client = grpc.makeGenericClientConstructor(
    {
      [method]: {
        path: `/driftguard.v1.FindingService/${method}`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    "Raw",
  );
  const client = new Client(h.address, grpc.credentials.createSsl(fs.readFileSync(h.certs.ca.certFile)));
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return new Promise((resolve) =>
    (client as unknown as Record<string, (...a: unknown[]) => void>)[method](
      bytes,
      metadata,
      (e: grpc.ServiceError | null, r: Buffer) => {
        client.close();
        resolve(e ?? r);
      },
    ),
  );
}

describe("collector security and robustness", function () {
  this.timeout(60_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ maxMessageBytes: MAX_MESSAGE });
  });
  after(async () => {
    await h?.stop();
  });

  /** The collector still serves a well-formed, authorized call. */
  async function stillServing(): Promise<void> {
    const page = await h.findings(h.tokens.reader).list({ pageSize: 1 });
    assert.ok(Array.isArray(page.findings));
    const ok = await report(h.agentConnection());
    assert.ok(ok.ack, `a good agent is still served: ${ok.details}`);
  }

  it("stores a batch from an agent with a valid certificate", async () => {
    const result = await report(h.agentConnection());
    assert.ok(result.ack, result.details);
    assert.equal((await h.findings().get({ id: "sec1" })).finding!.path, "/tmp/drift/1");
  });

  it("refuses an agent without a certificate: UNAUTHENTICATED", async () => {
    const anonymous = await rawReport(h, grpc.credentials.createSsl(fs.readFileSync(h.certs.ca.certFile)));
    assert.equal(anonymous.code, grpc.status.UNAUTHENTICATED, anonymous.details);
    await stillServing();
  });

  it("refuses a certificate from another CA and an expired one: UNAUTHENTICATED", async () => {
    const foreign = await report(h.agentConnection(h.certs.foreignAgent));
    assert.equal(foreign.code, grpc.status.UNAUTHENTICATED, foreign.details);
    const expired = await report(h.agentConnection(h.certs.expiredAgent));
    assert.equal(expired.code, grpc.status.UNAUTHENTICATED, expired.details);
    assert.match(expired.details!, /expired|not signed/);
    await stillServing();
  });

  it("refuses callers with the wrong role: PERMISSION_DENIED", async () => {
    const reviewerAsAgent = await report(h.agentConnection(h.certs.triager));
    assert.equal(reviewerAsAgent.code, grpc.status.PERMISSION_DENIED);
    const noRole = await report(h.agentConnection(h.certs.noRole));
    assert.equal(noRole.code, grpc.status.PERMISSION_DENIED);
    await assert.rejects(
      h.findings(h.tokens.reader).updateTriage({ id: "sec1", status: "TRIAGE_STATUS_ACKNOWLEDGED", comment: "" }),
      {
        code: grpc.status.PERMISSION_DENIED,
      },
    );
    await assert.rejects(h.findings("not-a-token-at-all-xyz").list({}), { code: grpc.status.UNAUTHENTICATED });
    const agentAsReviewer = new FindingsClient({
      address: h.address,
      caFile: h.certs.ca.certFile,
      certFile: h.certs.agent.certFile,
      keyFile: h.certs.agent.keyFile,
    });
    await assert.rejects(agentAsReviewer.list({}), { code: grpc.status.PERMISSION_DENIED });
    agentAsReviewer.close();
    const reviewerCert = new FindingsClient({
      address: h.address,
      caFile: h.certs.ca.certFile,
      certFile: h.certs.reader.certFile,
      keyFile: h.certs.reader.keyFile,
    });
    assert.ok((await reviewerCert.list({})).findings.length >= 1, "a reviewer certificate is enough to read");
    reviewerCert.close();
    await stillServing();
  });

  it("refuses an oversize message (RESOURCE_EXHAUSTED) and keeps serving", async () => {
    const huge = Array.from({ length: 200 }, (_, i) =>
      encodeMessage("Finding", { ...apiFinding(i, `big${i}`), hostPath: "/h/" + "x".repeat(2000) }),
    );
    const result = await report(h.agentConnection(), encodeBatchRequest(2, huge));
    assert.equal(result.code, grpc.status.RESOURCE_EXHAUSTED, result.details);
    await stillServing();
  });

  it("answers malformed and invalid messages with INVALID_ARGUMENT and keeps serving", async () => {
    const garbage = Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]);
    const stream = await report(h.agentConnection(), garbage);
    assert.equal(stream.code, grpc.status.INVALID_ARGUMENT, stream.details);
    const invalid = await report(
      h.agentConnection(),
      encodeBatchRequest(3, [encodeMessage("Finding", { ...apiFinding(5), reason: "DRIFT_REASON_UNSPECIFIED" })]),
    );
    assert.equal(invalid.code, grpc.status.INVALID_ARGUMENT);
    assert.match(invalid.details!, /reason/);
    const unary = await rawUnary(h, "ListFindings", garbage, h.tokens.reader);
    assert.equal((unary as grpc.ServiceError).code, grpc.status.INVALID_ARGUMENT);
    await assert.rejects(h.findings().list({ pageToken: "bogus" }), { code: grpc.status.INVALID_ARGUMENT });
    await assert.rejects(h.findings().list({ pageSize: 5000 }), { code: grpc.status.INVALID_ARGUMENT });
    await stillServing();
  });

  it("survives garbage bytes and plaintext HTTP/2 on its TLS port", async () => {
    for (const junk of [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Buffer.alloc(64 * 1024, 0xa5)]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(Number(h.address.split(":")[1]), "127.0.0.1", () => socket.write(junk));
        socket.on("error", () => resolve());
        socket.on("close", () => resolve());
        setTimeout(() => socket.destroy(), 2000);
      });
    }
    const plaintext = await rawReport(h, grpc.credentials.createInsecure());
    assert.equal(plaintext.code, grpc.status.UNAVAILABLE);
    await stillServing();
  });
});

/** A Report call with arbitrary channel credentials (no client certificate). */
function rawReport(h: Harness, credentials: grpc.ChannelCredentials): Promise<{ code?: number; details?: string }> {
  const Client = grpc.makeGenericClientConstructor(
    {
      Report: {
        path: "/driftguard.v1.AgentService/Report",
        requestStream: true,
        responseStream: true,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    "RawAgent",
  );
  const client = new Client(h.address, credentials) as unknown as {
    Report(): grpc.ClientDuplexStream<Buffer, Buffer>;
    close(): void;
  };
  return new Promise((resolve) => {
    const call = client.Report();
    call.on("data", () => undefined);
    call.on("error", (e: grpc.ServiceError) => {
      client.close();
      resolve({ code: e.code, details: e.details });
    });
    call.write(encodeBatchRequest(9, [encodeMessage("Finding", apiFinding(9))]));
  });
}
