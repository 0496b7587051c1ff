// driftguard agent end to end: audit mode records what enforce would block; a SIGKILLed
// agent never leaves an exec hanging, and a restarted one re-attaches from its cache.
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { AgentProcess } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { scratchDir } from "../../testbed/ociImage";
import { buildDriftImage } from "./driftImage";
import { bedAgentArgs } from "../../testbed/agentArgs";
import type { PolicyMode } from "../../../src/domain/verdict";

describe("driftguard agent: audit mode, SIGKILL and restart @root", function () {
  this.timeout(120000);
  let bed: ContainerdTestBed;
  const agents: AgentProcess[] = [];
  let scratch: { dir: string; remove: () => void };
  let stateDir: string;

  before(async () => {
    scratch = scratchDir("e2e-restart");
    stateDir = path.join(scratch.dir, "state");
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    await bed.run("c", "test.local/drift:1", ["sleep", "100000"]);
  });

  after(async () => {
    for (const agent of agents) await agent.stop();
    await bed?.stop();
    scratch?.remove();
  });

  async function startAgent(mode: PolicyMode): Promise<AgentProcess> {
    const agent = await AgentProcess.start(bedAgentArgs(bed, { mode, stateDir }));
    agents.push(agent);
    return agent;
  }

  it("audit mode: every drift runs, and is recorded as audited", async () => {
    const agent = await startAgent("audit");
    const run = await bed.exec("c", [
      "/bin/sh",
      "-c",
      "mkdir -p /tmp/a /run/a && cp /bin/busybox /tmp/a/echo && /tmp/a/echo new-ran && cp /bin/busybox /run/a/echo && /run/a/echo vol-ran && chmod +x /etc/elf-data && /etc/elf-data",
    ]);
    for (const ran of ["new-ran", "vol-ran"]) assert.match(run.stdout, new RegExp(ran));
    // busybox ran under a name it has no applet for: proof the exec was allowed.
    assert.match(run.stderr, /elf-data: applet not found/);
    const findings = await agent.waitForFindings(3);
    assert.deepEqual(
      findings.map((f) => [f.path, f.reason, f.verdict, f.mode]),
      [
        ["/tmp/a/echo", "new_file", "audited", "audit"],
        ["/run/a/echo", "volume", "audited", "audit"],
        ["/etc/elf-data", "made_executable", "audited", "audit"],
      ],
    );
    const stopped = await agent.stop();
    assert.equal(stopped.code, 0, "SIGTERM is a clean exit");
    assert.ok(agent.lines.some((l) => l.msg === "agent stopped; marks removed"));
  });

  it("a SIGKILLed agent leaves no exec hanging; restarted, it re-attaches from the baseline cache", async () => {
    const first = await startAgent("enforce");
    const burst = bed.exec("c", [
      "/bin/sh",
      "-c",
      "mkdir -p /tmp/k && cp /bin/busybox /tmp/k/echo; i=0; while [ $i -lt 400 ]; do /bin/true; /tmp/k/echo x 2>/dev/null; i=$((i+1)); done; echo burst-done",
    ]);
    await first.waitForFindings(5);
    first.kill("SIGKILL");
    const killed = await first.exited;
    assert.equal(killed.signal, "SIGKILL");
    const started = Date.now();
    const result = await burst;
    assert.match(result.stdout, /burst-done/);
    assert.ok(Date.now() - started < 30000, "the burst finished without waiting on the dead agent");

    const second = await startAgent("enforce");
    const ready = await second.waitFor((l) => l.msg === "image baseline ready");
    assert.equal(ready.hashedBytes, 0, JSON.stringify(ready));
    assert.equal(ready.cachedLayers, ready.layers, JSON.stringify(ready));
    const blocked = await bed.exec("c", ["/bin/sh", "-c", "/tmp/k/echo again; echo rc=$?"]);
    assert.match(blocked.stdout, /rc=126/);
    await second.waitFor((l) => l.finding?.path === "/tmp/k/echo");
  });
});
