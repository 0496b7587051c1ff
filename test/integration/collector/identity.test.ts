// Agents bound to their nodes: with the cluster issuer's keys (a JWKS file here), the
// collector accepts an agent's findings and heartbeats only for the node and cluster its
// token names, refuses forged, expired and misdirected tokens (logged and counted), ends a
// stream when its token expires or its identity is revoked, and follows a rotation of the
// agents' tokens and of the issuer's keys without restarting anything.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";

import { startReporter } from "../../../src/report/Reporter";
import { nodeFinding, openReport, openUpload, reportOnce } from "../../testbed/agentReports";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { driftFinding } from "../../testbed/findingFixtures";
import { sample, scrape } from "../../testbed/metricsScrape";
import { TEST_ISSUER, TestIssuer } from "../../testbed/testIssuer";

const quiet = pino({ level: "silent" });

async function until(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("collector: agents bound to their nodes by ServiceAccount tokens", function () {
  this.timeout(60_000);
  let issuer: TestIssuer;
  let h: Harness;
  let revocations: string;
  const refusals = async (reason: string) =>
    sample(await scrape(h.metricsUrl), `driftguard_collector_agent_refusals_total{reason="${reason}"}`);

  before(async () => {
    issuer = new TestIssuer();
    revocations = path.join(issuer.dir, "revoked");
    fs.writeFileSync(revocations, "# nothing revoked\n");
    h = await startHarness({
      agentToken: { issuer: TEST_ISSUER, cluster: "prod", jwks: issuer.jwksFile, skewMs: 1000 },
      revocationsFile: revocations,
    });
  });
  after(async () => {
    await h?.stop();
    issuer?.remove();
  });

  it("stores findings and heartbeats for the node the token names, recording the agent pod", async () => {
    const result = await reportOnce(h, { token: issuer.token("node-a"), findings: [nodeFinding("node-a", "prod", 1)] });
    assert.ok(result.ack, result.details);
    assert.equal((await h.findings().get({ id: "node-a-1" })).finding?.node, "node-a");
    const agent = (await h.collector.store.agents()).find((a) => a.node === "node-a");
    assert.equal(agent?.identity, "driftguard/driftguard-agent-node-a");
  });

  it("refuses a token for node A sending as node B, or for another cluster: PERMISSION_DENIED, counted", async () => {
    const token = issuer.token("node-a");
    const before = await refusals("foreign_node");
    const heartbeat = await reportOnce(h, { token, node: "node-b" });
    assert.equal(heartbeat.code, grpc.status.PERMISSION_DENIED, heartbeat.details);
    assert.match(heartbeat.details!, /heartbeat is for node node-b, but the agent's token names node node-a/);
    const finding = await reportOnce(h, {
      token,
      findings: [nodeFinding("node-a", "prod", 2), nodeFinding("node-b", "prod", 3)],
    });
    assert.equal(finding.code, grpc.status.PERMISSION_DENIED, finding.details);
    assert.match(finding.details!, /finding 1 is for node node-b/);
    await assert.rejects(h.findings().get({ id: "node-b-3" }), { code: grpc.status.NOT_FOUND });
    await assert.rejects(
      h.findings().get({ id: "node-a-2" }),
      { code: grpc.status.NOT_FOUND },
      "the whole batch is refused",
    );
    const cluster = await reportOnce(h, { token, cluster: "staging", findings: [nodeFinding("node-a", "staging", 4)] });
    assert.equal(cluster.code, grpc.status.PERMISSION_DENIED);
    assert.match(cluster.details!, /cluster "staging"/);
    assert.equal(await refusals("foreign_node"), before + 2);
    assert.equal(await refusals("foreign_cluster"), 1);
    const ok = await reportOnce(h, {
      token: issuer.token("node-b"),
      node: "node-b",
      findings: [nodeFinding("node-b", "prod", 5)],
    });
    assert.ok(ok.ack, "node B's own agent is served");
  });

  it("refuses expired, wrong-audience, wrong-issuer, altered, unsigned and missing tokens: UNAUTHENTICATED", async () => {
    const [head, payload, signature] = issuer.token("node-a").split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims["kubernetes.io"].node.name = "node-b";
    const cases: [string, string | undefined, string][] = [
      ["expired", issuer.token("node-a", { expiresIn: -600 }), "expired"],
      ["wrong audience", issuer.token("node-a", { claims: { aud: ["sts.amazonaws.com"] } }), "wrong_audience"],
      ["wrong issuer", issuer.token("node-a", { claims: { iss: "https://issuer.invalid" } }), "wrong_issuer"],
      ["altered", `${head}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`, "bad_signature"],
      ["alg none", issuer.unsignedToken("node-a"), "algorithm"],
      ["HMAC with the public key", issuer.hmacForgery("node-a"), "algorithm"],
      ["missing", undefined, "no_token"],
    ];
    for (const [what, token, reason] of cases) {
      const before = await refusals(reason);
      const result = await reportOnce(h, { token, findings: [nodeFinding("node-a", "prod", 100)] });
      assert.equal(result.code, grpc.status.UNAUTHENTICATED, `${what}: ${JSON.stringify(result)}`);
      assert.equal(await refusals(reason), before + 1, what);
    }
    await assert.rejects(h.findings().get({ id: "node-a-100" }), { code: grpc.status.NOT_FOUND });
    const auth = sample(
      await scrape(h.metricsUrl),
      'driftguard_collector_auth_failures_total{api="grpc",code="UNAUTHENTICATED"}',
    );
    assert.ok(auth >= cases.length, "also counted as auth failures");
  });

  it("ends a stream when its token expires", async () => {
    const stream = openReport(h, { token: issuer.token("node-c", { expiresIn: 2 }), node: "node-c" });
    try {
      assert.ok((await stream.result).ack, "accepted while valid");
      const ended = await stream.ended;
      assert.equal(ended.code, grpc.status.UNAUTHENTICATED, JSON.stringify(ended));
      assert.match(ended.details!, /token expired/);
    } finally {
      stream.close();
    }
  });

  it("revokes a node without a restart: its open stream ends, it is refused until the entry goes", async () => {
    const streamA = openReport(h, { token: issuer.token("node-d"), node: "node-d" });
    const streamB = openReport(h, { token: issuer.token("node-e"), node: "node-e" });
    try {
      assert.ok((await streamA.result).ack);
      assert.ok((await streamB.result).ack);
      fs.writeFileSync(revocations, "node node-d\n");
      await h.collector.trust.reloadNow();
      const ended = await streamA.ended;
      assert.equal(ended.code, grpc.status.PERMISSION_DENIED);
      assert.match(ended.details!, /node node-d was revoked/);
      const again = await reportOnce(h, { token: issuer.token("node-d"), node: "node-d" });
      assert.equal(again.code, grpc.status.PERMISSION_DENIED);
      const other = await reportOnce(h, { token: issuer.token("node-e"), node: "node-e" });
      assert.ok(other.ack, "other nodes are not affected");
      assert.ok(sample(await scrape(h.metricsUrl), "driftguard_collector_streams_revoked_total") >= 1);
      fs.writeFileSync(revocations, "");
      await h.collector.trust.reloadNow();
      assert.ok((await reportOnce(h, { token: issuer.token("node-d"), node: "node-d" })).ack, "unrevoked");
    } finally {
      streamA.close();
      streamB.close();
    }
  });

  it("ends a sample upload like a Report stream: when its token expires and when its node is revoked", async () => {
    const expiring = openUpload(h, { token: issuer.token("node-g", { expiresIn: 2 }) });
    const revoked = openUpload(h, { token: issuer.token("node-h") });
    try {
      assert.equal((await expiring.answer).answer, "SAMPLE_ANSWER_SEND", "served while valid");
      assert.equal((await revoked.answer).answer, "SAMPLE_ANSWER_SEND", "served while valid");
      fs.writeFileSync(revocations, "node node-h\n");
      await h.collector.trust.reloadNow();
      const ended = await revoked.ended;
      assert.equal(ended.code, grpc.status.PERMISSION_DENIED, JSON.stringify(ended));
      assert.match(ended.details!, /node node-h was revoked/);
      const expired = await expiring.ended;
      assert.equal(expired.code, grpc.status.UNAUTHENTICATED, JSON.stringify(expired));
      assert.match(expired.details!, /token expired/);
    } finally {
      expiring.close();
      revoked.close();
      fs.writeFileSync(revocations, "");
      await h.collector.trust.reloadNow();
    }
  });

  it("revokes a leaked certificate: the agent certificate is refused with any token", async () => {
    const { X509Certificate } = await import("node:crypto");
    const fingerprint = new X509Certificate(fs.readFileSync(h.certs.agent.certFile)).fingerprint256;
    try {
      fs.writeFileSync(revocations, `certificate ${fingerprint}\n`);
      await h.collector.trust.reloadNow();
      const result = await reportOnce(h, { token: issuer.token("node-a") });
      assert.equal(result.code, grpc.status.UNAUTHENTICATED);
      assert.match(result.details!, /revoked/);
    } finally {
      fs.writeFileSync(revocations, "");
      await h.collector.trust.reloadNow();
    }
  });

  it("follows the issuer's key rotation in its JWKS file", async () => {
    const kid = issuer.addKey("RS256");
    const fresh = issuer.token("node-a", { kid });
    await h.collector.trust.reloadNow();
    assert.ok((await reportOnce(h, { token: fresh })).ack, "a token signed with the new key");
    const old = issuer.token("node-a", { kid: issuer.kids[0] });
    issuer.keepOnly([kid]);
    await h.collector.trust.reloadNow();
    const retired = await reportOnce(h, { token: old });
    assert.equal(retired.code, grpc.status.UNAUTHENTICATED, "the retired key's tokens");
    fs.writeFileSync(issuer.jwksFile, "{ half written");
    await h.collector.trust.reloadNow();
    assert.ok((await reportOnce(h, { token: fresh })).ack, "a broken JWKS file leaves the keys in force");
    const rejected = sample(
      await scrape(h.metricsUrl),
      'driftguard_collector_reloads_total{what="jwks",result="rejected"}',
    );
    assert.equal(rejected, 1);
    issuer.keepOnly(issuer.kids);
  });

  it("keeps a real agent delivering while the kubelet rotates its token, without restarting it", async () => {
    const tokenFile = path.join(h.dir, "agent-token");
    const first = issuer.token("node-r", { expiresIn: 4 });
    issuer.writeToken(tokenFile, first);
    const reporter = startReporter(
      {
        ...h.agentConnection(undefined, tokenFile),
        clusterName: "prod",
        nodeName: "node-r",
        stateDir: path.join(h.dir, "agent-r"),
        spoolMaxBytes: 1 << 24,
        heartbeatMs: 200,
        flushIntervalMs: 100,
        backoff: { initialMs: 50, maxMs: 200 },
      },
      quiet,
    );
    try {
      reporter.write(driftFinding(1, { node: "node-r" }));
      await until(() => reporter.stats().stream.findingsAcked === 1, "delivered with the first token");
      assert.equal(reporter.stats().stream.connects, 1);
      issuer.writeToken(tokenFile, issuer.token("node-r"));
      await until(() => reporter.stats().stream.connects === 2, "reconnected with the rotated token", 2000);
      await new Promise((resolve) => setTimeout(resolve, 4000 + 1000 + 300)); // the first token's exp + skew
      reporter.write(driftFinding(2, { node: "node-r" }));
      await until(() => reporter.stats().stream.findingsAcked === 2, "delivered after the first token expired");
      assert.equal(reporter.stats().stream.connects, 2, "the stream on the new token was never cut");
      assert.equal(reporter.stats().stream.lastError, "");
    } finally {
      await reporter.close();
    }
  });
});
