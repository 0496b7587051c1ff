// End to end: the exec guard on a real containerd blocks a drift exec; the agent's reporter
// delivers the finding over mTLS to a collector; `driftguard findings list` shows it with its
// pod, image and reason.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, CLI } from "../../testbed/AgentProcess";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { buildDriftImage } from "./driftImage";
import { bedAgentArgs } from "../../testbed/agentArgs";

const IMAGE = "test.local/drift:1";

describe("agent findings reach the collector on containerd @root", function () {
  this.timeout(120_000);
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  let harness: Harness | undefined;
  let scratch: { dir: string; remove: () => void } | undefined;

  before(async () => {
    scratch = scratchDir("collector-e2e");
    harness = await startHarness();
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    await bed.run("web", IMAGE, ["sleep", "100000"], {
      labels: {
        "io.kubernetes.pod.namespace": "shop",
        "io.kubernetes.pod.name": "web-0",
        "io.kubernetes.container.name": "web",
      },
    });
    const conn = harness.agentConnection();
    // prettier-ignore
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") },
      "--node-name", "node-e2e",
      "--collector-address", conn.address, "--collector-ca", conn.caFile!,
      "--agent-cert", conn.certFile!, "--agent-key", conn.keyFile!, "--cluster-name", "e2e",
    ));
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    await harness?.stop();
    scratch?.remove();
  });

  it("lists a blocked exec with its pod, image and reason", async () => {
    const run = await bed!.exec("web", [
      "/bin/sh",
      "-c",
      "mkdir -p /tmp/e && cp /bin/busybox /tmp/e/echo && /tmp/e/echo hi",
    ]);
    assert.equal(run.code, 126, run.stderr);
    await agent!.waitFor((l) => l.finding?.path === "/tmp/e/echo");
    const tokenFile = path.join(harness!.dir, "reader-token");
    fs.writeFileSync(tokenFile, harness!.tokens.reader);
    const list = (args: string[]) =>
      runCommand(
        process.execPath,
        [
          CLI,
          "findings",
          "list",
          "--server",
          harness!.address,
          "--ca",
          harness!.certs.ca.certFile,
          "--token-file",
          tokenFile,
          ...args,
        ],
        30_000,
      );
    let found: { path: string; pod: string; namespace: string; image: string; reason: string; verdict: string }[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const result = await list(["--json", "--pod", "web-0"]);
      assert.equal(result.code, 0, result.stderr);
      found = JSON.parse(result.stdout);
      if (found.some((f) => f.path === "/tmp/e/echo")) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const finding = found.find((f) => f.path === "/tmp/e/echo");
    assert.ok(finding, `not on the collector; agent log: ${JSON.stringify(agent!.lines.slice(-10))}`);
    assert.equal(finding.namespace, "shop");
    assert.equal(finding.pod, "web-0");
    assert.equal(finding.image, IMAGE);
    assert.equal(finding.reason, "new_file");
    assert.equal(finding.verdict, "blocked");
    const table = await list([]);
    assert.match(table.stdout, /blocked\s+new_file\s+\d+\s+shop\/web-0\s+test\.local\/drift:1\s+\/tmp\/e\/echo/);
    const agents = await harness!.collector.store.agents();
    assert.deepEqual(
      agents.map((a) => [a.cluster, a.node, a.mode, a.identity]),
      [["e2e", "node-e2e", "enforce", "node-a"]],
      "the agent's heartbeat is recorded",
    );
  });
});
