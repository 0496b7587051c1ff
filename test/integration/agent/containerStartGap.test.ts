// The fast path's container-start gap on a real containerd + runc: with exec ignore marks
// on, a new container whose entrypoint another container already ran (same image, so its
// inode is ignore-marked) must still be held until attached, so that an exec from one of its
// private filesystems (runc's /dev tmpfs, not marked before attach, not noexec) in its first
// milliseconds is seen and refused (native/README.md, "A new container sharing layers").
// Without the pause the outcome is a race (the agent attaches at TaskCreate, often before
// `ctr` starts the task, and then nothing needs holding); the hold itself is shown
// deterministically in test/integration/native/runtimeStartPause.test.ts.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { sample, scrape } from "../../testbed/metricsScrape";
import { scratchDir } from "../../testbed/ociImage";
import { buildDriftImage } from "./driftImage";

const IMAGE = "test.local/drift:1";
// The entrypoint drops a copy of the image's busybox into /dev and runs it at once.
const ATTACK = "cp /bin/busybox /dev/x; /dev/x echo ran > /out/ran; echo $? > /out/code; exec sleep 100000";

describe("exec ignore marks and a new container sharing layers @root", function () {
  this.timeout(120000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };
  let url: string;

  before(async () => {
    scratch = scratchDir("startgap");
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    // prettier-ignore
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") },
      "--exec-ignore-marks", "16384", "--metrics-address", "127.0.0.1:0",
    ));
    const listening = await agent.waitFor((l) => l.msg === "metrics and health endpoints listening");
    url = `http://127.0.0.1:${listening.port as number}`;
    // A runs its image's shell again and again, as a busy container would (an exec through
    // the runtime, `ctr task exec`, pauses the marks itself).
    await bed.run("a", IMAGE, ["/bin/sh", "-c", "while :; do /bin/sh -c true; sleep 0.1; done"]);
    await agent.waitFor((l) => l.msg === "container attached" && l.container === "a");
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  async function metrics(): Promise<Map<string, number>> {
    return scrape(url);
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) {
        const m = [...(await metrics())].filter(([k]) => /ignore|runtime|held/.test(k));
        throw new Error(`timed out waiting for ${what}: ${JSON.stringify(m)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Until A's busybox is ignore-marked again (the marks resumed after the last start). */
  async function markShellInA(): Promise<number> {
    return until("an ignore mark on A's shell", async () => {
      const m = await metrics();
      const marks = sample(m, "driftguard_exec_ignore_marks");
      return marks > 0 && sample(m, "driftguard_exec_ignore_marks_paused") === 0 ? marks : undefined;
    });
  }

  async function startAttacker(id: string): Promise<{ ran: string; code: string }> {
    const out = path.join(scratch.dir, id);
    fs.mkdirSync(out);
    const mount = { type: "bind", source: out, destination: "/out", options: ["rbind", "rw"] };
    await bed.run(id, IMAGE, ["/bin/sh", "-c", ATTACK], { mounts: [mount] });
    const code = await until(`${id}'s entrypoint`, async () => {
      const file = path.join(out, "code");
      return fs.existsSync(file) && fs.readFileSync(file, "utf8").trim() !== ""
        ? fs.readFileSync(file, "utf8")
        : undefined;
    });
    const ranFile = path.join(out, "ran");
    return { ran: fs.existsSync(ranFile) ? fs.readFileSync(ranFile, "utf8") : "", code: code.trim() };
  }

  it("refuses an exec from the new container's /dev in its first milliseconds, with a finding", async () => {
    await markShellInA();
    const result = await startAttacker("b");
    const seen = JSON.stringify({
      result,
      findings: agent!.findings().map((f) => [f.container.id, f.path, f.verdict]),
    });
    assert.equal(result.ran, "", `the copy in /dev ran before the container was attached: ${seen}`);
    assert.notEqual(result.code, "0");
    await agent!.waitFor((l) => l.finding?.path === "/dev/x" && l.finding?.container?.id === "b");
    const finding = agent!.findings().find((f) => f.path === "/dev/x" && f.container.id === "b")!;
    assert.equal(finding.verdict, "blocked");
    const m = await metrics();
    assert.ok(sample(m, 'driftguard_exec_ignore_mark_pauses_total{event="runtime"}') >= 2, "runc create, start");
  });

  it("brings the ignore marks back once every container is attached", async () => {
    const before = sample(await metrics(), 'driftguard_exec_ignore_mark_pauses_total{event="resume"}');
    await bed.run("d", IMAGE, ["sleep", "100000"]);
    await agent!.waitFor((l) => l.msg === "container attached" && l.container === "d");
    assert.ok((await markShellInA()) > 0);
    const after = sample(await metrics(), 'driftguard_exec_ignore_mark_pauses_total{event="resume"}');
    assert.ok(after > before, `no resume after d's start (${before} → ${after})`);
  });
});
