// The webhook sender against a real HTTP server on loopback: retries with backoff until the
// endpoint recovers, an HMAC signature on every attempt, final 4xx answers, a bounded queue.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";

import { findingView } from "../../../src/api/findingView";
import { apiFromStored } from "../../../src/collector/records";
import type { StoredFinding } from "../../../src/collector/store/FindingStore";
import { verify } from "../../../src/collector/webhook/signature";
import { WebhookSender, type WebhookOutcome } from "../../../src/collector/webhook/WebhookSender";
import { findingRecord } from "../../testbed/findingFixtures";

interface Received {
  at: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

const SECRET = Buffer.from("0123456789abcdef0123456789abcdef");
const quiet = pino({ level: "silent" });

function view(i: number) {
  const stored: StoredFinding = {
    ...findingRecord(i),
    triageStatus: "new",
    triageActor: "",
    triageComment: "",
    triageUpdatedMs: 0,
    receivedMs: Date.now(),
    raisedMs: Date.now(),
  };
  return findingView(apiFromStored(stored));
}

/** A server answering each request with the next status of `answers` (the last one repeats; 0: never answer). */
async function server(answers: number[]): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const srv = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ at: performance.now(), body, headers: req.headers });
      const status = answers[Math.min(received.length - 1, answers.length - 1)];
      if (status === 0) return; // hang
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hooks/driftguard`,
    received,
    close: async () => {
      srv.closeAllConnections();
      await new Promise((resolve) => srv.close(resolve));
    },
  };
}

async function until(test: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("webhook sender", () => {
  it("retries a failing endpoint with growing delays and signs every attempt", async () => {
    const s = await server([503, 502, 200]);
    const outcomes: WebhookOutcome[] = [];
    const sender = new WebhookSender(
      { url: s.url, secret: SECRET, initialBackoffMs: 100, maxBackoffMs: 1000 },
      quiet,
      (o) => {
        if (o) outcomes.push(o);
      },
    );
    try {
      sender.enqueue(view(1));
      await until(() => sender.stats().delivered === 1, "delivered");
      assert.deepEqual(outcomes, ["retried", "retried", "delivered"]);
      assert.equal(s.received.length, 3);
      const ids = new Set(s.received.map((r) => r.headers["x-driftguard-delivery"]));
      assert.equal(ids.size, 1, "one delivery id across retries (receivers deduplicate)");
      for (const r of s.received) {
        assert.ok(verify(SECRET, r.body, r.headers["x-driftguard-signature"] as string), "signature verifies");
        assert.ok(!verify(Buffer.from("another-secret-of-16+"), r.body, r.headers["x-driftguard-signature"] as string));
        const body = JSON.parse(r.body) as { type: string; sentAt: string; finding: { path: string } };
        assert.equal(body.type, "driftguard.finding.new");
        assert.equal(body.finding.path, "/tmp/drift/1");
        assert.equal(r.headers["x-driftguard-timestamp"], String(Math.floor(Date.parse(body.sentAt) / 1000)));
        assert.equal(r.headers["content-type"], "application/json");
      }
      // Full jitter within [bound/2, bound]: 100 ms, then 200 ms.
      const gaps = [s.received[1].at - s.received[0].at, s.received[2].at - s.received[1].at];
      assert.ok(gaps[0] >= 45 && gaps[0] < 1000, `first retry after ${gaps[0]} ms`);
      assert.ok(gaps[1] >= 95 && gaps[1] < 1500, `second retry after ${gaps[1]} ms`);
      assert.equal(
        verify(SECRET, s.received[0].body + " ", s.received[0].headers["x-driftguard-signature"] as string),
        false,
      );
    } finally {
      sender.close();
      await s.close();
    }
  });

  it("gives up at once on a 4xx answer and after maxAttempts on 5xx", async () => {
    const rejecting = await server([400]);
    const failing = await server([500]);
    const a = new WebhookSender({ url: rejecting.url, secret: SECRET, initialBackoffMs: 10 }, quiet);
    const b = new WebhookSender({ url: failing.url, secret: SECRET, initialBackoffMs: 10, maxAttempts: 3 }, quiet);
    try {
      a.enqueue(view(1));
      b.enqueue(view(2));
      await until(() => a.stats().failed === 1 && b.stats().failed === 1, "both gave up");
      assert.equal(rejecting.received.length, 1, "a 400 is final");
      assert.equal(failing.received.length, 3, "5xx retried up to maxAttempts");
      assert.deepEqual(b.stats(), { queued: 0, delivered: 0, retried: 2, failed: 1, dropped: 0, evicted: 0 });
    } finally {
      a.close();
      b.close();
      await rejecting.close();
      await failing.close();
    }
  });

  it("drops and counts findings beyond its queue while the endpoint hangs", async () => {
    const hanging = await server([0]);
    const sender = new WebhookSender({ url: hanging.url, secret: SECRET, queueLimit: 2, timeoutMs: 60_000 }, quiet);
    try {
      for (let i = 0; i < 5; i++) sender.enqueue(view(i));
      await until(() => hanging.received.length === 1, "first attempt in flight");
      // One being posted, two waiting (the queue limit), two dropped.
      assert.deepEqual(sender.stats(), { queued: 3, delivered: 0, retried: 0, failed: 0, dropped: 2, evicted: 0 });
    } finally {
      sender.close();
      await hanging.close();
    }
  });
});
