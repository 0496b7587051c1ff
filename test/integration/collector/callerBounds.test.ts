// No caller can exhaust the collector, hammered from loopback while a well-behaved caller is
// watched being served: a reviewer opening watch after watch (gRPC and the review page)
// and an agent opening stream after stream are refused past their caps; a watcher that
// stops reading makes the collector wait, not buffer (its memory stays flat while 30 MB of
// findings arrive); and one node flooding new findings cannot crowd the other nodes' out
// of the webhook's queue.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as grpc from "@grpc/grpc-js";

import { encodeMessage } from "../../../src/api/apiProto";
import type { WatchFindingsResponse } from "../../../src/api/types";
import { createAgentClient, encodeBatchRequest } from "../../../src/report/agentClient";
import { nodeFinding, openReport, reportOnce } from "../../testbed/agentReports";
import { bigRecord } from "../../testbed/bigFindings";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";
import { request, sample, scrape } from "../../testbed/metricsScrape";
import { TEST_ISSUER, TestIssuer } from "../../testbed/testIssuer";

async function until(test: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Bytes of JavaScript heap and Buffers still held after a full garbage collection. */
function heldBytes(): number {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * A WatchFindings call that reads nothing, at the HTTP/2 level: no flow-control credit goes
 * back, so whatever the collector writes for it stays in the collector. (grpc-js's own
 * client keeps reading into its memory when paused, which would hide the collector's.)
 */
function stalledWatch(h: Harness, token: string): () => void {
  const session = http2.connect(`https://localhost:${h.collector.port}`, { ca: fs.readFileSync(h.certs.ca.certFile) });
  session.on("error", () => undefined);
  const call = session.request({
    ":method": "POST",
    ":path": "/driftguard.v1.FindingService/WatchFindings",
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${token}`,
  });
  call.on("error", () => undefined);
  const message = encodeMessage("WatchFindingsRequest", {});
  const frame = Buffer.alloc(5 + message.length); // gRPC framing: no compression, length, message
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  call.end(frame);
  call.pause();
  return () => session.destroy();
}

describe("collector: per-caller bounds under a loopback hammer", function () {
  this.timeout(120_000);
  let issuer: TestIssuer;
  let h: Harness;
  let hook: { received: string[]; close(): Promise<void>; url: string };
  const metric = async (series: string) => sample(await scrape(h.metricsUrl), series);

  before(async () => {
    issuer = new TestIssuer();
    const received: string[] = [];
    // A webhook endpoint that takes 20 ms per POST: the queue fills while a node floods.
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => setTimeout(() => (received.push(body), res.writeHead(204).end()), 20));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    hook = {
      received,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
    h = await startHarness({
      agentToken: { issuer: TEST_ISSUER, cluster: "prod", jwks: issuer.jwksFile },
      limits: { watchStreams: 3, agentStreams: 2, watchUnackedBytes: 256 << 10 },
      webhook: { url: hook.url, secret: Buffer.from("0123456789abcdef"), queueLimit: 100 },
    });
  });
  after(async () => {
    await h?.stop();
    await hook?.close();
    issuer?.remove();
  });

  it("caps a reviewer's watches (gRPC and the review page together); another reviewer keeps watching", async () => {
    const hog = h.findings(h.tokens.reader);
    const streams = Array.from({ length: 3 }, () => hog.watch({}));
    const refusedBefore = await metric('driftguard_collector_streams_refused_total{api="watch"}');
    const fourth = await new Promise<grpc.ServiceError>((resolve) => hog.watch({}).on("error", resolve));
    assert.equal(fourth.code, grpc.status.RESOURCE_EXHAUSTED, fourth.details);
    const page = await request(`${h.webUrl}/api/events`, {
      headers: { Authorization: `Bearer ${h.tokens.reader}` },
      ca: fs.readFileSync(h.certs.ca.certFile),
    });
    assert.equal(page.status, 429, "the review page's live updates count against the same cap");
    assert.equal(await metric('driftguard_collector_streams_refused_total{api="watch"}'), refusedBefore + 2);
    const polite = h.findings(h.tokens.triager).watch({});
    const got = new Promise<WatchFindingsResponse>((resolve) => polite.on("data", resolve));
    await new Promise((resolve) => setTimeout(resolve, 300)); // the watch has started polling
    await h.collector.store.ingest([findingRecord(1, { id: "watched1" })], Date.now());
    assert.equal((await got).finding?.id, "watched1");
    polite.on("error", () => undefined).cancel();
    streams[0].on("error", () => undefined).cancel();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const again = hog.watch({});
    const refusal = await Promise.race([
      new Promise<grpc.ServiceError>((resolve) => again.on("error", resolve)),
      new Promise<undefined>((resolve) => setTimeout(resolve, 500)),
    ]);
    assert.equal(refusal, undefined, "a closed watch frees its place");
    for (const s of [...streams.slice(1), again]) s.on("error", () => undefined).cancel();
  });

  it("caps an agent identity's Report streams, the newest replacing the oldest; another node keeps reporting", async () => {
    const token = issuer.token("node-hog");
    // One after the other: opened together, the second may reach the collector first and be
    // the one the third replaces (the test then waited for the wrong stream to end).
    const open = [openReport(h, { token, node: "node-hog" })];
    try {
      assert.ok((await open[0].result).ack);
      open.push(openReport(h, { token, node: "node-hog" }));
      assert.ok((await open[1].result).ack);
      const before = await metric('driftguard_collector_streams_refused_total{api="agent"}');
      const third = openReport(h, { token, node: "node-hog" });
      open.push(third);
      assert.ok((await third.result).ack, "a restarted agent is never locked out by its dead streams");
      const oldest = await open[0].ended;
      assert.equal(oldest.code, grpc.status.RESOURCE_EXHAUSTED, JSON.stringify(oldest));
      assert.match(oldest.details!, /replaced by a newer stream/);
      assert.equal(await metric('driftguard_collector_streams_refused_total{api="agent"}'), before + 1);
      assert.ok((await reportOnce(h, { token: issuer.token("node-ok"), node: "node-ok" })).ack);
      // A hammer of streams for one node never holds more than the cap.
      const burst = Array.from({ length: 20 }, () => openReport(h, { token, node: "node-hog" }));
      open.push(...burst);
      await Promise.all(burst.map((s) => s.result));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const ended: number[] = [];
      for (const s of open) void s.ended.then((e) => ended.push(e.code ?? 0));
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(ended.length, open.length - 2, "all but two ended");
      assert.ok(ended.every((code) => code === grpc.status.RESOURCE_EXHAUSTED));
    } finally {
      for (const s of open) s.close();
    }
  });

  it("waits for a watcher that stops reading instead of buffering for it; a reading watcher gets everything", async () => {
    const closeStalled = stalledWatch(h, h.tokens.reader);
    const reader = h.findings(h.tokens.admin).watch({});
    reader.on("error", () => undefined);
    try {
      const ids = new Set<string>();
      reader.on("data", (m: WatchFindingsResponse) => ids.add(m.finding!.id));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = heldBytes();
      const total = 400; // ~44 MB encoded, ~30 MB of the collector's heap were they buffered
      for (let i = 0; i < total; i += 20) {
        const batch = Array.from({ length: 20 }, (_, j) => bigRecord(10_000 + i + j, `w${i + j}`));
        await h.collector.store.ingest(batch, Date.now());
      }
      await until(() => ids.size === total, `the reading watcher got ${ids.size} of ${total}`, 60_000);
      const unacked = await metric("driftguard_collector_watch_unacked_bytes");
      assert.ok(
        unacked <= (256 << 10) + 120_000,
        `unacknowledged bytes ${unacked}: the budget plus one finding at most`,
      );
      assert.ok(unacked >= 200 << 10, `the stalled watch used its budget (${unacked}): it was sent to, then waited`);
      // Buffered for the stalled watcher, the findings would hold ~30 MB; without that the
      // heap still grew 6-14 MB here between runs (the reader's side, SQLite, arenas).
      const grown = heldBytes() - before;
      assert.ok(grown < 20 << 20, `the collector holds ${Math.round(grown / 1e6)} MB more for its watchers`);
      assert.ok((await metric("driftguard_collector_watch_waits_total")) >= 1);
    } finally {
      closeStalled();
      reader.cancel();
    }
  });

  it("shares the webhook's queue fairly: a flooding node cannot crowd another's findings out", async () => {
    const flood = createAgentClient(h.agentConnection());
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${issuer.token("node-flood")}`);
    const call = flood.Report(metadata);
    let acks = 0;
    call.on("data", () => acks++);
    call.on("error", () => undefined);
    call.write({ heartbeat: { node: "node-flood", cluster: "prod", agentVersion: "t", mode: "POLICY_MODE_AUDIT" } });
    const batches = 10;
    for (let b = 0; b < batches; b++) {
      const findings = Array.from({ length: 500 }, (_, i) =>
        encodeMessage("Finding", nodeFinding("node-flood", "prod", b * 500 + i)),
      );
      call.write(encodeBatchRequest(b + 1, findings));
    }
    await until(() => acks >= 2, "the flood is filling the queue");
    const polite = await reportOnce(h, {
      token: issuer.token("node-polite"),
      node: "node-polite",
      findings: Array.from({ length: 20 }, (_, i) => nodeFinding("node-polite", "prod", i)),
    });
    assert.ok(polite.ack, polite.details);
    await until(() => acks === batches, "the flood is stored");
    const politeDelivered = () => hook.received.filter((b) => b.includes('"node":"node-polite"')).length;
    await until(
      () => politeDelivered() === 20,
      `the polite node's findings posted (${politeDelivered()} of 20)`,
      30_000,
    );
    const lost =
      (await metric('driftguard_collector_webhook_deliveries_total{outcome="dropped"}')) +
      (await metric('driftguard_collector_webhook_deliveries_total{outcome="evicted"}'));
    assert.ok(lost > 4000, `the flood's overflow is dropped and counted: ${lost}`);
    assert.ok((await metric('driftguard_collector_webhook_deliveries_total{outcome="evicted"}')) >= 1);
    call.cancel();
    flood.close();
  });
});
