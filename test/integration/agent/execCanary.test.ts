// The exec canary against the real kernel: the agent is ready only once a drift exec it
// staged on its own marked tmpfs was refused and an image program ran; when the staged
// file runs (here: its tmpfs swapped for an unmarked one, as if the guard had gone blind),
// the next check flips /readyz, the metric and the log. No finding for the canary.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { bedAgentArgs } from "../../testbed/agentArgs";
import { AgentProcess } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { request, sample, scrape } from "../../testbed/metricsScrape";
import { scratchDir } from "../../testbed/ociImage";

describe("exec canary: /readyz only while a staged drift exec is refused @root", function () {
  this.timeout(120_000);
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  const scratch = scratchDir("exec-canary");
  const stateDir = path.join(scratch.dir, "state");
  let canaryDir = "";
  let swapped = false;
  let url = "";

  before(async () => {
    bed = await ContainerdTestBed.start();
    // prettier-ignore
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir },
      "--metrics-address", "127.0.0.1:0", "--canary-interval-ms", "300",
    ));
    const listening = await agent.waitFor((l) => l.msg === "metrics and health endpoints listening");
    url = `http://127.0.0.1:${listening.port as number}`;
    canaryDir = path.join(stateDir, `canary-${agent.pid}`);
  });

  after(async () => {
    await agent?.stop();
    if (swapped) execFileSync("umount", [canaryDir]); // ours, if the agent's umount took its own
    await bed?.stop();
    scratch.remove();
  });

  async function waitForReady(status: number): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await request(`${url}/readyz`);
      if (ready.status === status) return ready.body;
      if (Date.now() > deadline) throw new Error(`/readyz never answered ${status}: ${ready.body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("starts ready only after the canary: the staged exec refused, an image program ran, no finding", async () => {
    const started = agent!.lines.find((l) => l.msg === "agent started")!;
    assert.equal(started.canary, "a staged drift exec refused, an image program ran");
    assert.match(await waitForReady(200), /; a staged drift exec refused, an image program ran/);
    const metrics = await scrape(url);
    assert.equal(sample(metrics, "driftguard_exec_canary_ok"), 1);
    assert.deepEqual(agent!.findings(), [], "the canary is no drift finding");
    // The staged file really is a program: unmarked, it runs.
    assert.ok(fs.statSync(path.join(canaryDir, "drift")).mode & 0o111);
  });

  it("flips /readyz, the metric and the log when the staged drift exec runs", async () => {
    // An unmarked tmpfs over the canary's, holding the same program: the guard sees nothing.
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4m", "swapped", canaryDir]);
    swapped = true;
    fs.copyFileSync("/bin/true", path.join(canaryDir, "drift"));
    fs.chmodSync(path.join(canaryDir, "drift"), 0o755);
    assert.match(await waitForReady(503), /exec canary: a staged drift exec ran: the exec guard does not refuse/);
    assert.equal(sample(await scrape(url), "driftguard_exec_canary_ok"), 0);
    const failed = await agent!.waitFor((l) => l.msg === "exec canary failed");
    assert.equal(failed.level, 50);
    // Back: the marked tmpfs is on top again, and the next check passes.
    execFileSync("umount", [canaryDir]);
    swapped = false;
    await waitForReady(200);
    const said = agent!.lines.filter((l) => l.msg.startsWith("exec canary")).map((l) => l.msg);
    assert.deepEqual(said, ["exec canary passed", "exec canary failed", "exec canary passed"], "said on changes only");
  });
});
