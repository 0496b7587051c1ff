// The collector's HTTP sides on a real in-process collector fed by the agent's reporter:
// /metrics counters move with ingest, streams, heartbeats and refused calls; /healthz and
// /readyz (not ready once the database is gone); the review API's authentication and
// request checks; the webhook receiving each new finding, signed.
import { LATEST_SCHEMA_VERSION } from "../../../src/collector/store/schema";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import pino from "pino";

import { verify } from "../../../src/collector/webhook/signature";
import { startReporter, type Reporter } from "../../../src/report/Reporter";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { driftFinding } from "../../testbed/findingFixtures";
import { request, sample, scrape } from "../../testbed/metricsScrape";

const SECRET = Buffer.from("webhook-secret-0123456789");

describe("collector metrics, health, review API and webhook", function () {
  this.timeout(60_000);
  let h: Harness;
  let reporter: Reporter;
  let ca: Buffer;
  let hook: http.Server;
  const posted: { body: string; signature: string }[] = [];

  before(async () => {
    hook = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        posted.push({ body, signature: String(req.headers["x-driftguard-signature"]) });
        res.writeHead(posted.length === 1 ? 503 : 204).end(); // the first attempt fails: retried
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    h = await startHarness({ webhook: { url, secret: SECRET, initialBackoffMs: 20 } });
    ca = fs.readFileSync(h.certs.ca.certFile);
  });
  after(async () => {
    await reporter?.close();
    await h?.stop();
    hook?.closeAllConnections();
    await new Promise((resolve) => hook?.close(resolve));
  });

  it("answers /healthz and /readyz", async () => {
    assert.deepEqual(await request(`${h.metricsUrl}/healthz`).then((r) => [r.status, r.body]), [200, "ok\n"]);
    const ready = await request(`${h.metricsUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(ready.body, new RegExp(`^ready: database schema ${LATEST_SCHEMA_VERSION}`));
    assert.equal((await request(`${h.metricsUrl}/nope`)).status, 404);
  });

  it("counts ingest by verdict and reason, streams, heartbeats and refused calls", async () => {
    const before = await scrape(h.metricsUrl);
    reporter = startReporter(
      {
        ...h.agentConnection(),
        clusterName: "prod",
        nodeName: "node-m",
        stateDir: path.join(h.dir, "agent"),
        spoolMaxBytes: 1 << 24,
        heartbeatMs: 200,
      },
      pino({ level: "silent" }),
      () => ({
        mode: "enforce",
        containers: 1,
        nativeVerdictsDropped: 0,
        health: { status: "degraded", reasons: [{ code: "spool_full", detail: "x", notReady: false }], sinceMs: 1 },
      }),
    );
    reporter.write(driftFinding(1));
    reporter.write(driftFinding(2));
    reporter.write(driftFinding(3, { reason: "volume", verdict: "audited", mode: "audit" }));
    const deadline = Date.now() + 10_000;
    while (reporter.stats().stream.findingsAcked < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(h.findings("not-a-token-of-this-collector").list({}));
    assert.equal((await request(`${h.webUrl}/api/findings`, { ca })).status, 401);
    await new Promise((r) => setTimeout(r, 500)); // heartbeats
    const after = await scrape(h.metricsUrl);
    const moved = (series: string) => sample(after, series) - sample(before, series);
    assert.equal(moved("driftguard_collector_findings_received_total"), 3);
    assert.equal(moved('driftguard_collector_findings_stored_total{verdict="blocked",reason="new_file"}'), 2);
    assert.equal(moved('driftguard_collector_findings_stored_total{verdict="audited",reason="volume"}'), 1);
    assert.ok(moved("driftguard_collector_ingest_batch_seconds_count") >= 1);
    assert.equal(sample(after, "driftguard_collector_agent_streams"), 1);
    assert.ok(moved("driftguard_collector_heartbeats_total") >= 2);
    assert.equal(moved('driftguard_collector_auth_failures_total{api="grpc",code="UNAUTHENTICATED"}'), 1);
    assert.equal(moved('driftguard_collector_auth_failures_total{api="web",code="UNAUTHENTICATED"}'), 1);
    assert.equal(sample(after, 'driftguard_collector_agents{state="live"}'), 1);
    assert.equal(sample(after, 'driftguard_collector_agents_by_status{status="degraded"}'), 1);
    assert.equal(sample(after, 'driftguard_collector_agents_by_status{status="enforcing"}'), 0);
    assert.ok(sample(after, "driftguard_collector_process_resident_memory_bytes") > 0, "process metrics too");
  });

  it("posts each new finding to the webhook, signed, retrying a failure", async () => {
    const deadline = Date.now() + 10_000;
    while (posted.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(posted.length, 4, "3 findings, the first one twice");
    for (const p of posted) assert.ok(verify(SECRET, p.body, p.signature));
    const paths = posted.map((p) => (JSON.parse(p.body) as { finding: { path: string } }).finding.path);
    assert.deepEqual([...new Set(paths)].sort(), ["/tmp/drift/1", "/tmp/drift/2", "/tmp/drift/3"]);
    const metrics = await scrape(h.metricsUrl);
    assert.equal(sample(metrics, 'driftguard_collector_webhook_deliveries_total{outcome="delivered"}'), 3);
    assert.equal(sample(metrics, 'driftguard_collector_webhook_deliveries_total{outcome="retried"}'), 1);
  });

  it("checks the review API's callers and requests", async () => {
    const as = (token: string) => ({ Authorization: `Bearer ${token}` });
    const json = { "Content-Type": "application/json" };
    const list = await request(`${h.webUrl}/api/findings?pageSize=2`, { ca, headers: as(h.tokens.reader) });
    assert.equal(list.status, 200);
    const { findings } = JSON.parse(list.body) as { findings: { id: string }[]; nextPageToken: string };
    assert.equal(findings.length, 2);
    const triage = (token: string, headers: Record<string, string>, body = '{"status":"acknowledged"}') =>
      request(`${h.webUrl}/api/findings/${findings[0].id}/triage`, {
        ca,
        method: "POST",
        headers: { ...as(token), ...headers },
        body,
      });
    assert.equal((await triage(h.tokens.reader, json)).status, 403, "a reader may not triage");
    assert.equal((await triage(h.tokens.triager, { "Content-Type": "text/plain" })).status, 415);
    const forged = await triage(h.tokens.triager, { ...json, Origin: "https://evil.example" });
    assert.equal(forged.status, 403, "another site's page may not triage");
    assert.equal(
      (await triage(h.tokens.triager, json, '{"status":"resolved"}')).status,
      409,
      "new → resolved skips a step",
    );
    assert.equal((await triage(h.tokens.triager, json, '{"status":"maybe"}')).status, 400);
    const ok = await triage(h.tokens.triager, { ...json, Origin: h.webUrl });
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { history: { actor: string }[] }).history[0].actor, "alice");
    const bad = await request(`${h.webUrl}/api/findings?reason=bogus`, { ca, headers: as(h.tokens.reader) });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /^reason must be one of new_file, modified, .*hold_overflow/);
    assert.equal((await request(`${h.webUrl}/api/findings/nope`, { ca, headers: as(h.tokens.reader) })).status, 404);
    const page = await request(`${h.webUrl}/`, { ca });
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-security-policy"]), /script-src 'self'/);
    assert.doesNotMatch(page.body, /https?:\/\//, "the page references no other host");
  });

  it("is not ready once its database is gone", async () => {
    await h.collector.store.close();
    const ready = await request(`${h.metricsUrl}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body, /not ready|error/);
  });
});
