// driftguard agent end to end on a real containerd + runc: the drift cases of the exec
// guard in enforce mode, in a container started before the agent and one started after.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, type Finding } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { scratchDir } from "../../testbed/ociImage";
import { buildDriftImage } from "./driftImage";
import { bedAgentArgs } from "../../testbed/agentArgs";

const BUSYBOX_LABELS = {
  "io.kubernetes.pod.namespace": "shop",
  "io.kubernetes.pod.name": "web-0",
  "io.kubernetes.container.name": "web",
};

describe("driftguard agent in enforce mode on containerd @root", function () {
  this.timeout(120000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };
  let hostDir: string;
  const image = () => "test.local/drift:1";

  before(async () => {
    scratch = scratchDir("e2e");
    hostDir = path.join(scratch.dir, "hostdir");
    fs.mkdirSync(hostDir);
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    // Started before the agent: must be attached from containerd's list.
    await bed.run("before", image(), ["sleep", "100000"], { labels: BUSYBOX_LABELS });
    agent = await AgentProcess.start(
      bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }, "--node-name", "node-e2e"),
    );
    await bed.run("after", image(), ["sleep", "100000"], {
      mounts: [{ type: "bind", source: hostDir, destination: "/hostvol", options: ["rbind", "rw"] }],
    });
    await agent.waitFor(
      (l) => l.msg === "image baseline ready" || (l.msg === "container attached" && l.container === "after"),
    );
    await agent.waitFor((l) => l.msg === "container attached" && l.container === "after");
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  async function sh(container: string, script: string) {
    return bed.exec(container, ["/bin/sh", "-c", script]);
  }

  function findingFor(p: string, container: string): Finding {
    const found = agent!.findings().find((f) => f.path === p && f.container.id === container);
    assert.ok(
      found,
      `no finding for ${p} in ${container}; findings: ${JSON.stringify(agent!.findings().map((f) => [f.container.id, f.path]))}`,
    );
    return found;
  }

  it("runs image binaries, and blocks a copy of one with Permission denied (126) and 'copy of'", async () => {
    const ok = await sh("after", "echo image-ok; /bin/ls /opt/old");
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /image-ok/);
    const run = await sh("after", "mkdir -p /tmp/x && cp /bin/busybox /tmp/x/echo && /tmp/x/echo copied");
    assert.equal(run.code, 126, run.stderr);
    assert.match(run.stderr, /\/tmp\/x\/echo: Operation not permitted/);
    assert.doesNotMatch(run.stdout, /copied/);
    await agent!.waitFor((l) => l.finding?.path === "/tmp/x/echo");
    const f = findingFor("/tmp/x/echo", "after");
    assert.equal(f.reason, "new_file");
    assert.equal(f.verdict, "blocked");
    assert.equal(f.mode, "enforce");
    assert.equal(f.copyOf, "/bin/busybox");
    assert.equal(f.container.image, image());
    assert.equal(f.container.namespace, bed.namespace);
    assert.match(f.hostPath, /io\.containerd\.snapshotter\.v1\.overlayfs\/snapshots\/\d+\/fs\/tmp\/x\/echo$/);
    assert.equal(f.process.uid, 0);
    assert.match(f.process.cmdline, /sh -c mkdir -p \/tmp\/x/);
  });

  it("blocks an image binary overwritten in place (modified); lets a chmod'ed or touched one run", async () => {
    const run = await sh("after", "cp /bin/busybox /opt/old/script.sh; /opt/old/script.sh; echo rc=$?");
    assert.match(run.stdout, /rc=126/);
    const untouched = await sh("after", "touch /bin/busybox && chmod 755 /bin/busybox && /bin/echo still-runs");
    assert.equal(untouched.code, 0, untouched.stderr);
    assert.match(untouched.stdout, /still-runs/);
    await agent!.waitFor((l) => l.finding?.path === "/opt/old/script.sh");
    assert.equal(findingFor("/opt/old/script.sh", "after").reason, "modified");
    assert.equal(agent!.findings().filter((f) => f.path === "/bin/busybox" || f.path === "/bin/echo").length, 0);
  });

  it("blocks a file made executable, a whiteout-deleted binary recreated, and one under an opaque dir", async () => {
    const run = await sh(
      "after",
      "chmod +x /etc/elf-data; /etc/elf-data; cp /bin/busybox /bin/gone; /bin/gone; cp /bin/busybox /opt/old/echo; /opt/old/echo x; echo end",
    );
    assert.match(run.stdout, /end/);
    await agent!.waitFor((l) => l.finding?.path === "/opt/old/echo");
    assert.equal(findingFor("/etc/elf-data", "after").reason, "made_executable");
    assert.equal(findingFor("/bin/gone", "after").reason, "new_file");
    assert.equal(findingFor("/opt/old/echo", "after").reason, "new_file");
    for (const p of ["/etc/elf-data", "/bin/gone", "/opt/old/echo"])
      assert.equal(findingFor(p, "after").verdict, "blocked");
  });

  it("blocks binaries on a bind-mounted host dir and on the container's tmpfs (volume)", async () => {
    const run = await sh(
      "after",
      "mkdir -p /hostvol/v /run/v && cp /bin/busybox /hostvol/v/echo && cp /bin/busybox /run/v/echo; /hostvol/v/echo h; /run/v/echo t; echo end",
    );
    assert.match(run.stdout, /end/);
    assert.doesNotMatch(run.stdout, /^[ht]$/m);
    await agent!.waitFor((l) => l.finding?.path === "/run/v/echo");
    assert.equal(findingFor("/hostvol/v/echo", "after").reason, "volume");
    assert.equal(findingFor("/hostvol/v/echo", "after").hostPath, path.join(hostDir, "v", "echo"));
    assert.equal(findingFor("/run/v/echo", "after").reason, "volume");
  });

  it("leaves no window at container start: a container's very first drift is blocked", async () => {
    // The container's own command drops and runs a binary at once, racing the agent's
    // attach (containerd's TaskCreate event); the exec is held until the agent knows it.
    const out = path.join(hostDir, "racer.out");
    await bed.run(
      "racer",
      image(),
      [
        "/bin/sh",
        "-c",
        "mkdir -p /tmp/z && cp /bin/busybox /tmp/z/echo; /tmp/z/echo raced; echo rc=$? > /hostvol/racer.out; sleep 100000",
      ],
      { mounts: [{ type: "bind", source: hostDir, destination: "/hostvol", options: ["rbind", "rw"] }] },
    );
    await agent!.waitFor((l) => l.finding?.path === "/tmp/z/echo" && l.finding.container.id === "racer");
    for (let i = 0; i < 100 && !fs.existsSync(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fs.readFileSync(out, "utf8").trim(), "rc=126");
    assert.equal(findingFor("/tmp/z/echo", "racer").verdict, "blocked");
  });

  it("leaves no window at container start on its own tmpfs either", async () => {
    // Its image layers are known already (shared with running containers), so only the
    // process tells that this container is new; its /run tmpfs is marked at attach.
    const out = path.join(hostDir, "racer-run.out");
    await bed.run(
      "racer-run",
      image(),
      [
        "/bin/sh",
        "-c",
        "mkdir -p /run/z && cp /bin/busybox /run/z/echo; /run/z/echo raced; echo rc=$? > /hostvol/racer-run.out; sleep 100000",
      ],
      { mounts: [{ type: "bind", source: hostDir, destination: "/hostvol", options: ["rbind", "rw"] }] },
    );
    for (let i = 0; i < 100 && !fs.existsSync(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(fs.readFileSync(out, "utf8").trim(), "rc=126");
    await agent!.waitFor((l) => l.finding?.path === "/run/z/echo" && l.finding.container.id === "racer-run");
  });

  it("blocks the same after unshare -m inside the container, and in the container started before the agent", async () => {
    const run = await sh(
      "after",
      "mkdir -p /tmp/u && cp /bin/busybox /tmp/u/echo && unshare -Urm /tmp/u/echo escaped; echo rc=$?",
    );
    assert.doesNotMatch(run.stdout, /escaped/);
    await agent!.waitFor((l) => l.finding?.path === "/tmp/u/echo");
    assert.equal(findingFor("/tmp/u/echo", "after").verdict, "blocked");
    const early = await sh("before", "mkdir -p /tmp/b && cp /bin/busybox /tmp/b/echo && /tmp/b/echo no; echo rc=$?");
    assert.match(early.stdout, /rc=126/);
    await agent!.waitFor((l) => l.finding?.path === "/tmp/b/echo");
    const f = findingFor("/tmp/b/echo", "before");
    assert.equal(f.reason, "new_file");
    assert.deepEqual(f.k8s, { namespace: "shop", pod: "web-0", container: "web" });
  });
});
