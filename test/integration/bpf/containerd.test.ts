// The eBPF sensor with a real container (containerd + runc): a memfd exec inside the
// container is reported and attributed by cgroup, and runc itself causes no finding.
// Debian 12's runc 1.1.5 re-executes itself (CVE-2019-5736) from a read-only bind mount
// of its own binary ("runc.XXXXXX" in its state dir) when it may mount, as root; only when
// that fails does it copy itself into memfd:runc_cloned:/proc/self/exe (the case the BPF
// programs except; tested in tracepoint.test.ts and the QEMU guest).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { buildTestProgram, cgroupIdOf, startSensor, type StartedSensor } from "./sensorHelpers";

const CGROUP2 = fs.existsSync("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";

/** The cgroup v2 directory of a process ("0::/path" in /proc/<pid>/cgroup). */
function cgroup2DirOf(pid: number): string {
  const line = fs
    .readFileSync(`/proc/${pid}/cgroup`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("0::"));
  assert.ok(line, `no cgroup v2 line for ${pid}`);
  return path.join(CGROUP2, line.slice(3));
}

describe("eBPF sensor with containerd and runc @root", function () {
  this.timeout(120000);
  let scratch: { dir: string; remove(): void };
  let bed: ContainerdTestBed | undefined;
  let started: StartedSensor | undefined;

  before(async () => {
    scratch = scratchDir("bpf-containerd");
    const fileless = buildTestProgram("fileless", scratch.dir);
    const image = buildOciImage(scratch.dir, "bpf.local/fileless:1", [
      [...busyboxLayer(), { kind: "file", path: "bin/fileless", content: fs.readFileSync(fileless), mode: 0o755 }],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    // Every process on the node is reported: an unexcepted runc clone could not hide.
    // runc's own processes in the container's cgroup are still in the host's mount namespace.
    const hostMountNamespace = fs.statSync("/proc/self/ns/mnt").ino;
    started = startSensor({ tryLsm: false, reportUnknownCgroups: true, hostMountNamespace });
    assert.ok(started.sensor.coverage().tracepoint, started.sensor.coverage().reasons.join("; "));
    await bed.run("c1", image.name, ["sleep", "100000"]);
  });
  after(async () => {
    started?.sensor.close();
    await bed?.stop();
    scratch?.remove();
  });

  it("kills a memfd exec in the container, and leaves runc's own execs alone", async () => {
    const s = started!;
    const pid = await bed!.taskPid("c1");
    const cgroupId = cgroupIdOf(cgroup2DirOf(pid));
    s.sensor.putContainers([{ cgroupId, containerId: "c1", execMode: "enforce", libraryMode: "enforce" }]);
    // What the agent watches: the snapshot filesystem it marks, and the container's overlay.
    s.sensor.watchFilesystems([fs.statSync(bed!.root).dev, fs.statSync(`/proc/${pid}/root`).dev]);
    const run = await bed!.exec("c1", ["/bin/fileless", "memfd", "dg-in-container", "/bin/busybox", "echo", "ran"]);
    assert.equal(run.code, 137, run.stderr);
    assert.doesNotMatch(run.stdout, /ran/);
    const [finding] = await s.waitFor((f) => f.name === "memfd:dg-in-container");
    assert.equal(finding.containerId, "c1");
    assert.equal(finding.cgroupId, cgroupId);
    assert.equal(finding.action, "killed");
    await s.settle();
    // Every process on the node is reported here: runc (ctr run, ctr task exec) is not.
    const fromRunc = s.findings.filter((f) => f.name.startsWith("memfd:runc") || /runc/.test(f.exe + f.comm));
    assert.deepEqual(fromRunc, []);
    assert.equal(s.sensor.stats().runcExcepted, 0); // bind-mount clone: not even a fileless exec
  });
});
