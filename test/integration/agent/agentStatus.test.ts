// The agent's status as the collector shows it, with a real agent and a real collector on
// loopback: "enforcing" once its canary passed; "degraded" with the canary's reason when a
// staged drift exec runs (its tmpfs swapped for an unmarked one, as execCanary.test.ts
// does), while its /readyz says the same; "enforcing" again when the canary passes; and
// "silent" once the agent stopped. Read with `driftguard agents`, as an operator would.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { bedAgentArgs } from "../../testbed/agentArgs";
import { AgentProcess, CLI } from "../../testbed/AgentProcess";
import { CollectorProcess } from "../../testbed/CollectorProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { request } from "../../testbed/metricsScrape";
import { scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import type { AgentView } from "../../../src/cli/agentsCommand";

describe("agent status at the collector: enforcing, degraded by the canary, recovered, silent @root", function () {
  this.timeout(120_000);
  let bed: ContainerdTestBed | undefined;
  let collector: CollectorProcess | undefined;
  let agent: AgentProcess | undefined;
  const scratch = scratchDir("agent-status");
  const stateDir = path.join(scratch.dir, "state");
  let canaryDir = "";
  let swapped = false;
  let readyz = "";

  before(async () => {
    bed = await ContainerdTestBed.start();
    const db = `sqlite:${path.join(scratch.dir, "collector.db")}`;
    // The agents' default heartbeat interval (10 s): silent after 15 s without one.
    collector = await CollectorProcess.start(["--insecure", "--listen", "127.0.0.1:0", "--db", db]);
    // prettier-ignore
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir },
      "--metrics-address", "127.0.0.1:0", "--canary-interval-ms", "300", "--node-name", "node-status",
      "--cluster-name", "status", "--collector-address", `127.0.0.1:${collector.port}`, "--collector-insecure",
      "--require-ebpf", // starts: the sensor's raw tracepoint loads on this kernel
    ));
    const listening = await agent.waitFor((l) => l.msg === "metrics and health endpoints listening");
    readyz = `http://127.0.0.1:${listening.port as number}/readyz`;
    canaryDir = path.join(stateDir, `canary-${agent.pid}`);
  });

  after(async () => {
    await agent?.stop();
    if (swapped) execFileSync("umount", [canaryDir]);
    await collector?.stop();
    await bed?.stop();
    scratch.remove();
  });

  /** `driftguard agents --json` until node-status shows `status`. */
  async function shown(status: string, timeoutMs = 20_000): Promise<AgentView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const args = [CLI, "agents", "--json", "--server", `127.0.0.1:${collector!.port}`, "--insecure"];
      const result = await runCommand(process.execPath, args, 30_000);
      assert.equal(result.code, 0, result.stderr);
      const found = (JSON.parse(result.stdout) as AgentView[]).find((a) => a.node === "node-status");
      if (found?.status === status) return found;
      if (Date.now() > deadline) assert.fail(`never ${status}: ${JSON.stringify(found)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it("shows the agent enforcing once its canary passed, and degraded with the canary's reason when it fails", async () => {
    const enforcing = await shown("enforcing");
    assert.deepEqual([enforcing.cluster, enforcing.mode, enforcing.reasons], ["status", "enforce", []]);
    assert.equal((await request(readyz)).status, 200);
    const started = Date.now();
    // An unmarked tmpfs over the canary's, holding the same program: the guard sees nothing.
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "swapped", canaryDir]);
    swapped = true;
    fs.copyFileSync("/bin/true", path.join(canaryDir, "drift"));
    fs.chmodSync(path.join(canaryDir, "drift"), 0o755);
    // Well before the next periodic heartbeat (the agent's is every 10 s): sent on the change.
    const degraded = await shown("degraded", 8_000);
    assert.deepEqual(
      degraded.reasons.map((r) => [r.code, r.notReady]),
      [["canary", true]],
    );
    const reason = degraded.reasons[0].detail;
    assert.match(reason, /^exec canary: a staged drift exec ran: the exec guard does not refuse \(checked 20\d\d-/);
    assert.ok(Date.parse(degraded.statusSince) >= started - 1000, degraded.statusSince);
    // /readyz says the same, from the same judgement.
    const ready = await request(readyz);
    assert.equal(ready.status, 503);
    assert.ok(ready.body.includes("exec canary: a staged drift exec ran"), ready.body);
    // The human table: the status and the reason below the agent's line.
    const table = await runCommand(
      process.execPath,
      [CLI, "agents", "--server", `127.0.0.1:${collector!.port}`, "--insecure"],
      30_000,
    );
    assert.match(table.stdout, /^degraded .*node-status/m);
    assert.match(table.stdout, /^ {2}- canary: exec canary: a staged drift exec ran.* \(not ready\)$/m);
  });

  it("recovers to enforcing when the canary passes again", async () => {
    execFileSync("umount", [canaryDir]);
    swapped = false;
    const enforcing = await shown("enforcing", 8_000);
    assert.deepEqual(enforcing.reasons, []);
    assert.equal((await request(readyz)).status, 200);
  });

  it("shows a stopped agent as silent, whatever it said last", async () => {
    await agent!.stop();
    const silent = await shown("silent", 25_000);
    assert.equal(silent.mode, "enforce");
    const table = await runCommand(
      process.execPath,
      [CLI, "agents", "--status", "silent", "--server", `127.0.0.1:${collector!.port}`, "--insecure"],
      30_000,
    );
    assert.match(table.stdout, /^silent .*node-status/m);
  });
});
