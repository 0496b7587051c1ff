// Sample capture end to end (issue 16) on real containerd + runc, the real agent and a real
// collector on loopback (mTLS): 50 containers each copy busybox to a new path and run it
// (refused); the policy captures, so the agent reads the file from the exec's event fd,
// keeps it once on the node and uploads it once; the collector stores one sample for the
// 50 findings. An admin downloads it byte-identical with the CLI; a reader is refused; a
// file over the policy's maxBytes is not captured and the agent says so.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, CLI } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { sample, scrape } from "../../testbed/metricsScrape";
import { scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { policyYaml } from "../../unit/policy/fixtures";
import { buildDriftImage } from "./driftImage";

const IMAGE = "test.local/drift:1";
const CONTAINERS = 50;
const DROP = "mkdir -p /tmp/x && cp /bin/busybox /tmp/x/echo && /tmp/x/echo hi";

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("sample capture end to end on containerd @root", function () {
  this.timeout(300_000);
  let bed: ContainerdTestBed | undefined;
  let scratch: { dir: string; remove: () => void } | undefined;
  let harness: Harness | undefined;
  let agent: AgentProcess | undefined;
  const busybox = fs.readFileSync("/bin/busybox");
  const digest = createHash("sha256").update(busybox).digest("hex");

  before(async () => {
    scratch = scratchDir("samples-e2e");
    const policyDir = path.join(scratch.dir, "policies");
    fs.mkdirSync(policyDir);
    const capture = (name: string, namespaces: string[], maxBytes: number) =>
      policyYaml(name, { mode: "enforce", selector: { namespaces }, capture: { maxBytes } });
    fs.writeFileSync(path.join(policyDir, "shop.yaml"), capture("shop", ["shop"], 4 * 1024 * 1024));
    fs.writeFileSync(path.join(policyDir, "small.yaml"), capture("small", ["small"], 1000));
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    harness = await startHarness();
    const conn = harness.agentConnection();
    // prettier-ignore
    agent = await AgentProcess.start(
      bedAgentArgs(bed, { mode: "audit", stateDir: path.join(scratch.dir, "state") },
        "--policy-dir", policyDir, "--node-name", "node-s", "--cluster-name", "e2e",
        "--collector-address", conn.address, "--collector-ca", conn.caFile!, "--agent-cert", conn.certFile!,
        "--agent-key", conn.keyFile!),
    );
  });

  after(async () => {
    await agent?.stop();
    await harness?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  it(`stores one sample for ${CONTAINERS} identical findings from different containers, uploaded once`, async () => {
    const labels = (ns: string, i: number) => ({
      "io.kubernetes.pod.namespace": ns,
      "io.kubernetes.pod.name": `web-${i}`,
      "io.kubernetes.container.name": "web",
    });
    const ids = Array.from({ length: CONTAINERS }, (_, i) => `cap-${i}`);
    for (const [i, id] of ids.entries())
      await bed!.run(id, IMAGE, ["/bin/sh", "-c", DROP], { labels: labels("shop", i) });
    // Each container exits right after its drop, often before its finding reaches the agent's
    // JS thread: the finding still names it (id, not the runtime key) and its pod.
    const idOf = (l: { finding?: { container: { id: string } } }) => l.finding!.container.id;
    const mine = (l: { finding?: { container: { id: string }; path: string } }) =>
      !!l.finding && ids.includes(idOf(l)) && l.finding.path === "/tmp/x/echo";
    const seen = () => new Set(agent!.lines.filter(mine).map(idOf));
    await until(`a finding from every container (${seen().size} so far)`, () =>
      seen().size === CONTAINERS ? true : undefined,
    );
    for (const line of agent!.lines.filter(mine)) {
      const { container, k8s } = line.finding!;
      assert.deepEqual(
        [k8s.namespace, k8s.pod],
        ["shop", `web-${ids.indexOf(container.id)}`],
        JSON.stringify(container),
      );
    }
    const store = harness!.collector.store;
    let atCollector = 0;
    const findings = await until("the findings at the collector", async () => {
      const page = await store.list({ sha256: digest }, 200, "");
      atCollector = page.findings.length;
      return page.findings.length === CONTAINERS ? page.findings : undefined;
    }).catch((error: Error) => assert.fail(`${error.message}: ${atCollector} of ${CONTAINERS}`));
    assert.ok(findings.every((f) => f.sha256 === digest && f.verdict === "blocked"));
    const spool = path.join(scratch!.dir, "state", "samples");
    await until("the node's spool emptied", () => (fs.readdirSync(spool).length === 0 ? true : undefined));
    assert.deepEqual(await store.samples.totals(), { samples: 1, bytes: busybox.length });
    const metrics = await scrape(harness!.metricsUrl);
    assert.equal(sample(metrics, 'driftguard_collector_sample_answers_total{answer="send"}'), 1, "bytes uploaded once");
    assert.equal(sample(metrics, 'driftguard_collector_sample_answers_total{answer="stored"}'), 1);

    // An admin downloads it byte-identical, mode 0600; it is not replaced without --force.
    const admin = path.join(scratch!.dir, "admin-token");
    const reader = path.join(scratch!.dir, "reader-token");
    fs.writeFileSync(admin, harness!.tokens.admin);
    fs.writeFileSync(reader, harness!.tokens.reader);
    const out = path.join(scratch!.dir, "sample.bin");
    const cli = (token: string, ...extra: string[]) =>
      // prettier-ignore
      runCommand(process.execPath, [CLI, "findings", "sample", findings[0].id, "--output", out, "--server",
        harness!.address, "--ca", harness!.certs.ca.certFile, "--token-file", token, ...extra], 30_000);
    const refused = await cli(reader);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^driftguard findings: .*may not call FindingService\.GetSample; it needs role admin.*\n$/,
    );
    assert.equal(fs.existsSync(out), false, "nothing written for a reader");
    const got = await cli(admin);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(fs.readFileSync(out), busybox);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    const again = await cli(admin);
    assert.deepEqual([again.code, /exists; give --force/.test(again.stderr)], [1, true]);
    assert.equal((await cli(admin, "--force")).code, 0);
  });

  it("does not capture a file over the policy's maxBytes, and says so", async () => {
    await bed!.run("small-0", IMAGE, ["/bin/sh", "-c", DROP], {
      labels: { "io.kubernetes.pod.namespace": "small", "io.kubernetes.pod.name": "s-0" },
    });
    const line = await agent!.waitFor(
      (l) => l.msg === "sample not captured" && String(l.container).endsWith("/small-0"),
      30_000,
    );
    assert.equal(line.capture, "too_large");
  });
});
