// `driftguard findings list|show|watch|triage` and `driftguard certs`, run as the CLI,
// against an in-process collector fed by the agent's reporter.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import pino from "pino";

import { startReporter, type Reporter } from "../../../src/report/Reporter";
import { CLI } from "../../testbed/AgentProcess";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { driftFinding } from "../../testbed/findingFixtures";
import { runCommand } from "../../testbed/processes";

describe("driftguard findings and certs (CLI)", function () {
  this.timeout(60_000);
  let h: Harness;
  let reporter: Reporter;
  let tokenFile: string;
  const cli = (args: string[]) => runCommand(process.execPath, [CLI, ...args], 30_000);
  const conn = () => ["--server", h.address, "--ca", h.certs.ca.certFile, "--token-file", tokenFile];

  before(async () => {
    h = await startHarness();
    tokenFile = path.join(h.dir, "my-token");
    fs.writeFileSync(tokenFile, h.tokens.triager + "\n");
    reporter = startReporter(
      {
        ...h.agentConnection(),
        clusterName: "prod",
        nodeName: "node-a",
        stateDir: path.join(h.dir, "agent"),
        spoolMaxBytes: 1 << 24,
      },
      pino({ level: "silent" }),
    );
    reporter.write(driftFinding(1));
    reporter.write(driftFinding(2, { reason: "volume", k8s: { namespace: "db", pod: "pg-0", container: "pg" } }));
    const deadline = Date.now() + 10_000;
    while (reporter.stats().stream.findingsAcked < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
  });
  after(async () => {
    await reporter?.close();
    await h?.stop();
  });

  it("lists findings as a table and as JSON, with filters", async () => {
    const table = await cli(["findings", "list", ...conn()]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(
      table.stdout,
      /^LAST SEEN \(UTC\)\s+ID\s+SEVERITY\s+VERDICT\s+REASON\s+COUNT\s+STATUS\s+NODE\s+WORKLOAD\s+IMAGE\s+PATH\n/,
    );
    assert.match(
      table.stdout,
      /\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+[0-9a-f]{32}\s+MEDIUM\s+blocked\s+new_file\s+1\s+new\s+node-a\s+shop\/web-0\s+registry\.local\/shop\/web:1\s+\/tmp\/drift\/1  \(copy of \/bin\/busybox\)\n/,
    );
    const json = await cli(["findings", "list", "--json", "--namespace", "db", ...conn()]);
    assert.equal(json.code, 0, json.stderr);
    const found = JSON.parse(json.stdout) as { pod: string; reason: string; image: string }[];
    assert.deepEqual(
      found.map((f) => [f.pod, f.reason, f.image]),
      [["pg-0", "volume", "registry.local/shop/web:1"]],
    );
  });

  it("shows and triages a finding, recording who did it", async () => {
    const [finding] = JSON.parse((await cli(["findings", "list", "--json", "--reason", "new_file", ...conn()])).stdout);
    const ack = await cli(["findings", "triage", finding.id, "acknowledged", "--comment", "on it", ...conn()]);
    assert.equal(ack.code, 0, ack.stderr);
    const bad = await cli(["findings", "triage", finding.id, "new", ...conn()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cannot move a finding from acknowledged to new/);
    const show = await cli(["findings", "show", finding.id, ...conn()]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /triage\s+acknowledged by alice: on it/);
    assert.match(show.stdout, /new → acknowledged by alice: on it/);
    assert.match(show.stdout, /att&ck\s+T1105 Ingress Tool Transfer/);
    assert.match(show.stdout, /lineage\s+exec session/);
    assert.match(
      show.stdout,
      /written by pid 108 uid 0: \/bin\/busybox \[cp \/bin\/busybox \/tmp\/x\/ls\] at 2025-12-31T23:59:59/,
    );
    assert.match(show.stdout, /pid 110 uid 0 \(root\) gid 0: \/bin\/sh \[sh -c x\]/);
    assert.match(show.stdout, /pid 99 outside the container: \/usr\/bin\/containerd-shim-runc-v2/);
    const unknown = await cli(["findings", "show", "nope", ...conn()]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no finding nope/);
  });

  it("watches new findings as they arrive", async () => {
    const child = spawn(process.execPath, [CLI, "findings", "watch", "--json", ...conn()], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1000)); // watching
      reporter.write(driftFinding(3));
      const deadline = Date.now() + 10_000;
      while (!out.includes("/tmp/drift/3") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const lines = out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { path: string });
      assert.deepEqual(
        lines.map((l) => l.path),
        ["/tmp/drift/3"],
        "only findings stored after the watch began",
      );
    } finally {
      child.kill("SIGTERM");
    }
  });

  it("tells an unauthenticated user what is wrong", async () => {
    const result = await cli(["findings", "list", "--server", h.address, "--ca", h.certs.ca.certFile]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no valid client certificate .* no bearer token/);
  });

  it("makes a CA and certificates the collector accepts", async () => {
    const out = path.join(h.dir, "certs");
    const made = await cli(["certs", "--out", out, "--reviewers", "carol:reader"]);
    assert.equal(made.code, 0, made.stderr);
    for (const f of ["ca.crt", "ca.key", "server.crt", "agent.crt", "agent.key", "reviewer-carol.crt"]) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
    assert.equal(fs.statSync(path.join(out, "agent.key")).mode & 0o777, 0o600);
    const subject = await runCommand(
      "openssl",
      ["x509", "-in", path.join(out, "agent.crt"), "-noout", "-subject"],
      5000,
    );
    assert.match(subject.stdout, /OU\s*=\s*agent/);
    const verify = await runCommand(
      "openssl",
      ["verify", "-CAfile", path.join(out, "ca.crt"), path.join(out, "server.crt")],
      5000,
    );
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const again = await cli(["certs", "--out", out]);
    assert.match(again.stdout, /existing CA/);
  });
});
