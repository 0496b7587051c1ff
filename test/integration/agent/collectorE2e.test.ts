// End to end: the exec guard on a real containerd blocks a drift exec; the agent's reporter
// delivers the finding to a collector; `driftguard findings list` shows it with its pod,
// image and reason. Twice: the documented local trial (`driftguard collector --insecure`,
// the agent with --collector-insecure, `findings list --insecure`: no TLS, no
// authentication anywhere), and the deployed shape (mTLS, the agent bound to its node by
// its pod's ServiceAccount token, checked with the cluster issuer's keys).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, CLI } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { CollectorProcess } from "../../testbed/CollectorProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { TEST_ISSUER, TestIssuer } from "../../testbed/testIssuer";
import { buildDriftImage } from "./driftImage";

const IMAGE = "test.local/drift:1";

interface Listed {
  path: string;
  pod: string;
  namespace: string;
  image: string;
  reason: string;
  verdict: string;
  node: string;
  cluster: string;
}

describe("agent findings reach the collector on containerd @root", function () {
  this.timeout(120_000);
  let bed: ContainerdTestBed | undefined;
  let scratch: { dir: string; remove: () => void } | undefined;

  before(async () => {
    scratch = scratchDir("collector-e2e");
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    await bed.run("web", IMAGE, ["sleep", "100000"], {
      labels: {
        "io.kubernetes.pod.namespace": "shop",
        "io.kubernetes.pod.name": "web-0",
        "io.kubernetes.container.name": "web",
      },
    });
  });

  after(async () => {
    await bed?.stop();
    scratch?.remove();
  });

  const agentArgs = (name: string, collector: string[]) =>
    // prettier-ignore
    bedAgentArgs(bed!, { mode: "enforce", stateDir: path.join(scratch!.dir, `state-${name}`) },
      "--node-name", "node-e2e", "--collector-address", ...collector, "--cluster-name", "e2e",
    );

  /** Copies a busybox applet to a new path in the container and runs it: refused (126). */
  async function drift(agent: AgentProcess, dir: string): Promise<void> {
    const run = await bed!.exec("web", [
      "/bin/sh",
      "-c",
      `mkdir -p ${dir} && cp /bin/busybox ${dir}/echo && ${dir}/echo hi`,
    ]);
    assert.equal(run.code, 126, run.stderr);
    await agent.waitFor((l) => l.finding?.path === `${dir}/echo`);
  }

  /** `driftguard findings list --json --pod web-0` until the finding at path shows up. */
  async function listed(connection: string[], file: string, agent: AgentProcess): Promise<Listed> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const list = ["findings", "list", "--json", "--pod", "web-0", ...connection];
      const result = await runCommand(process.execPath, [CLI, ...list], 30_000);
      assert.equal(result.code, 0, result.stderr);
      const found = (JSON.parse(result.stdout) as Listed[]).find((f) => f.path === file);
      if (found) return found;
      if (Date.now() > deadline) {
        assert.fail(`not on the collector; agent log: ${JSON.stringify(agent.lines.slice(-10))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  describe("the documented local trial: --insecure everywhere", () => {
    let collector: CollectorProcess | undefined;
    let agent: AgentProcess | undefined;
    before(async () => {
      const db = `sqlite:${path.join(scratch!.dir, "trial.db")}`;
      collector = await CollectorProcess.start(["--insecure", "--listen", "127.0.0.1:0", "--db", db]);
      const address = `127.0.0.1:${collector.port}`;
      agent = await AgentProcess.start(agentArgs("trial", [address, "--collector-insecure"]));
    });
    after(async () => {
      await agent?.stop();
      await collector?.stop();
    });

    it("stores the blocked exec and lists it with `findings list --insecure`", async () => {
      await drift(agent!, "/tmp/e");
      const server = ["--server", `127.0.0.1:${collector!.port}`, "--insecure"];
      const finding = await listed(server, "/tmp/e/echo", agent!);
      assert.deepEqual(
        [finding.namespace, finding.pod, finding.image, finding.reason, finding.verdict, finding.node, finding.cluster],
        ["shop", "web-0", IMAGE, "new_file", "blocked", "node-e2e", "e2e"],
      );
      const refused = agent!.lines.filter((l) => l.msg === "collector stream failed; findings stay in the spool");
      assert.deepEqual(refused, [], "the collector never refused the agent");
    });
  });

  describe("mTLS, the agent bound to its node by its ServiceAccount token", () => {
    let issuer: TestIssuer | undefined;
    let harness: Harness | undefined;
    let agent: AgentProcess | undefined;
    before(async () => {
      issuer = new TestIssuer();
      harness = await startHarness({ agentToken: { issuer: TEST_ISSUER, cluster: "e2e", jwks: issuer.jwksFile } });
      const tokenFile = path.join(harness.dir, "agent-token");
      issuer.writeToken(tokenFile, issuer.token("node-e2e"));
      const conn = harness.agentConnection(undefined, tokenFile);
      // prettier-ignore
      agent = await AgentProcess.start(agentArgs("bound", [
        conn.address, "--collector-ca", conn.caFile!, "--agent-cert", conn.certFile!, "--agent-key", conn.keyFile!,
        "--collector-token-file", tokenFile,
      ]));
    });
    after(async () => {
      await agent?.stop();
      await harness?.stop();
      issuer?.remove();
    });

    it("stores the blocked exec for the token's node and lists it with the reviewer's token", async () => {
      await drift(agent!, "/tmp/f");
      const tokenFile = path.join(harness!.dir, "reader-token");
      fs.writeFileSync(tokenFile, harness!.tokens.reader);
      const connection = ["--server", harness!.address, "--ca", harness!.certs.ca.certFile, "--token-file", tokenFile];
      const finding = await listed(connection, "/tmp/f/echo", agent!);
      assert.deepEqual(
        [finding.namespace, finding.pod, finding.image, finding.reason, finding.verdict, finding.node],
        ["shop", "web-0", IMAGE, "new_file", "blocked", "node-e2e"],
      );
      const table = await runCommand(process.execPath, [CLI, "findings", "list", ...connection], 30_000);
      assert.match(
        table.stdout,
        /blocked\s+new_file\s+\d+\s+new\s+node-e2e\s+shop\/Pod\/web-0\s+test\.local\/drift:1\s+\/tmp\/f\/echo/,
      );
      const agents = await harness!.collector.store.agents();
      assert.deepEqual(
        agents.map((a) => [a.cluster, a.node, a.mode, a.identity]),
        [["e2e", "node-e2e", "enforce", "driftguard/driftguard-agent-node-e2e"]],
        "the heartbeat is recorded with the agent pod the token names",
      );
    });
  });
});
