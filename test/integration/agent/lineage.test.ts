// Lineage on real containerd + runc: a drift exec in a `ctr task exec` session lists each
// process up to the shim and says it is an exec session; one from the container's own
// init ends at the init and does not; user names come from the container's /etc/passwd
// (uid 0 is "toor" there, so a name read from the host's would show).
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { AgentProcess, type Finding } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";

const IMAGE = "test.local/lineage:1";
const PASSWD = "toor:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n";
// The init waits for /tmp/go, then runs a dropped copy itself (and stays: an ancestor that
// exec'd another program before the agent read it shows that program).
const INIT_SCRIPT =
  "while [ ! -e /tmp/go ]; do sleep 0.1; done; cp /bin/busybox /tmp/echo; /tmp/echo from-init; sleep 100000; exit 0";

describe("driftguard agent: process lineage on containerd @root", function () {
  this.timeout(120000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };

  before(async () => {
    scratch = scratchDir("e2e-lineage");
    const image = buildOciImage(scratch.dir, IMAGE, [
      busyboxLayer(),
      [{ kind: "file", path: "etc/passwd", content: PASSWD, mode: 0o644 }],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    await bed.run("session", IMAGE, ["sleep", "100000"]);
    await bed.run("init", IMAGE, ["/bin/sh", "-c", INIT_SCRIPT]);
    await bed.exec("session", ["/bin/cp", "/bin/busybox", "/tmp/early"]);
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }));
    await agent.waitFor((l) => l.msg === "container attached" && l.container === "init");
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  async function findingAt(container: string, p: string): Promise<Finding> {
    return (await agent!.waitFor((l) => l.finding?.container.id === container && l.finding.path === p)).finding!;
  }

  it("lists an exec session's processes up to the shim and flags the session", async () => {
    // `sleep 1` keeps the session's shell alive, as an interactive `kubectl exec` shell is.
    const run = await bed.exec("session", [
      "/bin/sh",
      "-c",
      "mkdir -p /tmp/x && cp /bin/busybox /tmp/x/ls; /tmp/x/ls; sleep 1",
    ]);
    assert.match(run.stderr + run.stdout, /Operation not permitted/);
    const f = await findingAt("session", "/tmp/x/ls");
    const { processes, execSession, complete } = f.lineage;
    const sessionPid = await shellPid(processes);
    assert.ok(complete, JSON.stringify(f.lineage));
    assert.ok(execSession, "the chain enters the container through the shim, not its init");
    const outside = processes[processes.length - 1];
    assert.equal(outside.inContainer, false);
    // The shim, or runc's exec parent, which may exit between the read of its pid and of its
    // program (1 run in 2 here): then its program is "" and the chain still ends outside.
    assert.match(outside.exe, /containerd-shim|runc|^$/);
    assert.equal(processes[0].pid, f.process.pid, "the exec'ing process first");
    for (const [i, p] of processes.slice(0, -1).entries()) {
      assert.equal(p.inContainer, true);
      assert.equal(p.user, "toor", "uid 0's name in the container's own /etc/passwd");
      assert.equal(p.uid, 0);
      // The refused child exits at once: then only what the guard read of it (no start time).
      if (i === 0 && p.startMs === 0) continue;
      assert.ok(p.startMs > 0 && p.startMs <= Date.parse(f.time) + 50, `start ${p.startMs} before the exec`);
    }
    assert.ok(processes.length >= 3, "the refused child, the session's shell, the shim");
    assert.ok(sessionPid > 0);
    assert.notEqual(sessionPid, await bed.taskPid("session"), "the session's shell is not the init");
  });

  it("names the writer of a dropped file: cp (busybox), its pid and the time it wrote", async () => {
    const before = Date.now();
    const run = await bed.exec("session", ["/bin/sh", "-c", "mkdir -p /tmp/w && cp /bin/busybox /tmp/w/ls; /tmp/w/ls"]);
    assert.match(run.stderr + run.stdout, /Operation not permitted/);
    const f = await findingAt("session", "/tmp/w/ls");
    assert.ok(f.writer, "a writer was seen");
    assert.ok(f.writer.pid > 0 && f.writer.pid !== f.process.pid, "cp's own pid, not the exec'ing process's");
    // Its program is read from /proc at the file's FAN_CREATE, while cp copies into it; a
    // one-sendfile copy is quick and cp sometimes exits first (writerGone counts it).
    if (f.writer.exe !== "") {
      assert.equal(f.writer.exe, "/bin/busybox");
      // busybox sh runs its cp applet in a forked child without exec: its arguments stay the shell's.
      assert.ok(f.writer.cmdline.includes("cp /bin/busybox /tmp/w/ls"), f.writer.cmdline);
    }
    const shell = f.lineage.processes.find((p) => p.argv.join(" ").includes("cp /bin/busybox /tmp/w/ls"));
    assert.ok(!shell || shell.pid !== f.writer.pid, "the forked cp, not the shell that waited for it");
    const written = Date.parse(f.writer.time);
    assert.ok(
      written >= before - 5 && written <= Date.parse(f.time),
      `${f.writer.time} between the command and the exec`,
    );
  });

  it("names no writer for a file dropped before the agent ran (a documented miss)", async () => {
    await bed.exec("session", ["/tmp/early"]);
    const f = await findingAt("session", "/tmp/early");
    assert.equal(f.writer, null);
  });

  it("ends a chain from the container's init at the init, not an exec session", async () => {
    await bed.exec("init", ["/bin/touch", "/tmp/go"]);
    const f = await findingAt("init", "/tmp/echo");
    const { processes, execSession, complete } = f.lineage;
    assert.ok(complete, JSON.stringify(f.lineage));
    assert.equal(execSession, false);
    const last = processes[processes.length - 1];
    assert.equal(last.pid, await bed.taskPid("init"));
    assert.deepEqual(last.argv, ["/bin/sh", "-c", INIT_SCRIPT]);
    assert.ok(processes.every((p) => p.inContainer && p.user === "toor"));
  });
});

/** The pid of the session's shell: the last process inside the container. */
async function shellPid(processes: Finding["lineage"]["processes"]): Promise<number> {
  const inside = processes.filter((p) => p.inContainer);
  return inside[inside.length - 1]?.pid ?? 0;
}
