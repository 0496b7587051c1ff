// The eBPF sensor's tracepoint path on this machine's kernel (LSM programs refused): a
// memfd_create + execveat exec, an exec of a deleted file through /proc/self/fd and an exec
// from a filesystem nobody watches (mounted by the "container" process: overlay root, own
// cgroup) are stopped by SIGKILL before the new program runs in enforce, and reported,
// attributed to the container; ordinary execs, processes outside containers, runc-like
// processes in the host's mount namespace and containers whose mode is disabled are not.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { scratchDir } from "../../testbed/ociImage";
import { busyboxLower, createOverlayBed, runInBed, type OverlayBed } from "../../testbed/overlayBed";
import { runCommand } from "../../testbed/processes";
import { buildTestProgram, cgroupIdOf, startSensor, type StartedSensor } from "./sensorHelpers";

describe("eBPF sensor: sched_process_exec tracepoint @root", function () {
  this.timeout(60000);
  let scratch: { dir: string; remove(): void };
  let fileless: string;
  let bed: OverlayBed;
  let cgroupId: number;
  let started: StartedSensor | undefined;

  before(() => {
    scratch = scratchDir("bpf-tracepoint");
    fileless = buildTestProgram("fileless", scratch.dir);
    bed = createOverlayBed((lower) => {
      busyboxLower(lower);
      fs.copyFileSync(fileless, path.join(lower, "bin", "fileless"));
      fs.chmodSync(path.join(lower, "bin", "fileless"), 0o755);
      fs.mkdirSync(path.join(lower, "proc"));
    });
    cgroupId = cgroupIdOf(bed.cgroupDir);
  });
  after(() => {
    started?.sensor.close();
    bed?.remove();
    scratch?.remove();
  });
  afterEach(() => {
    started?.sensor.close();
    started = undefined;
  });

  // tryLsm: false so that the tracepoint path is what is tested, whatever the kernel.
  function start(
    mode: "enforce" | "audit" | "disabled" = "enforce",
    reportUnknownCgroups = false,
    hostMountNamespace = 0,
  ): StartedSensor {
    started = startSensor({ tryLsm: false, reportUnknownCgroups, hostMountNamespace });
    const coverage = started.sensor.coverage();
    assert.ok(coverage.built, `addon built without the sensor: ${coverage.reasons.join("; ")}`);
    assert.ok(coverage.tracepoint, `tracepoint not attached: ${coverage.reasons.join("; ")}`);
    assert.equal(coverage.lsm, false);
    started.sensor.putContainers([{ cgroupId, containerId: "bed", execMode: mode, libraryMode: mode }]);
    // What the exec guard would have marked, and the container's own overlay.
    started.sensor.watchFilesystems(
      [bed.merged, path.join(bed.merged, "data"), bed.hostDir].map((p) => fs.statSync(p).dev),
    );
    return started;
  }

  /** A tmpfs nobody watches, mounted by the "container" itself, with busybox on it. */
  const fromUnwatched = (applet: string, words: string) =>
    `mkdir -p /tmp/u && mount -t tmpfs u /tmp/u && cp /bin/busybox /tmp/u/${applet} && /tmp/u/${applet} ${words}`;

  it("reports what the kernel accepts, with a reason for every refused program type", () => {
    started = startSensor({});
    const coverage = started.sensor.coverage();
    assert.ok(coverage.programTypes.rawTracepoint, coverage.reasons.join("; "));
    assert.ok(coverage.tracepoint || coverage.lsm);
    for (const [type, ok] of Object.entries(coverage.programTypes)) {
      const prefix = { rawTracepoint: "raw_tp/", tracingRawTp: "tp_btf/", fentry: "fentry/", lsm: "lsm/" }[type]!;
      assert.equal(
        coverage.reasons.some((r) => r.startsWith(prefix)),
        !ok,
        `${type}: ${ok} but reasons ${JSON.stringify(coverage.reasons)}`,
      );
    }
    if (!coverage.lsm) assert.ok(coverage.reasons.some((r) => r.includes("stopped by SIGKILL after the exec")));
    assert.equal(coverage.entryChecked, coverage.lsm || coverage.programTypes.tracingRawTp);
  });

  it("kills memfd_create + execveat in a container in enforce before the program runs", async () => {
    const { waitFor, sensor } = start("enforce");
    const run = runInBed(bed, "/bin/fileless memfd dg-evil /bin/busybox echo fileless-ran");
    assert.equal(run.code, 137, run.stderr);
    assert.doesNotMatch(run.stdout, /fileless-ran/);
    const [finding] = await waitFor((f) => f.name === "memfd:dg-evil");
    assert.equal(finding.reason, "fileless");
    assert.equal(finding.source, "tracepoint");
    assert.equal(finding.verdict, "blocked");
    assert.equal(finding.action, "killed");
    assert.equal(finding.mode, "enforce");
    assert.equal(sensor.stats().killed, 1);
    assert.equal(finding.memfd, true);
    assert.equal(finding.unlinked, true);
    assert.equal(finding.containerId, "bed");
    assert.equal(finding.cgroupId, cgroupId);
    assert.match(finding.path, /^\/dev\/fd\/\d+$/);
  });

  it("reports an exec of a deleted writable-layer file through /proc/self/fd", async () => {
    const { waitFor, findings } = start("audit");
    const run = runInBed(
      bed,
      "mount -t proc proc /proc && /bin/fileless deleted /tmp/dropped /bin/busybox echo deleted-ran",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /deleted-ran/);
    const [finding] = await waitFor((f) => f.name === "dropped");
    assert.equal(finding.memfd, false);
    assert.equal(finding.unlinked, true);
    assert.equal(finding.mode, "audit");
    assert.equal(finding.containerId, "bed");
    assert.match(finding.path, /^\/proc\/self\/fd\/\d+$/);
    assert.equal(findings.length, 1, JSON.stringify(findings)); // the image binaries that ran are not drift here
  });

  it("kills an exec from a filesystem the container mounted itself, and reports it in audit", async () => {
    let s = start("enforce");
    let run = runInBed(bed, fromUnwatched("echo", "unwatched-ran"));
    assert.equal(run.code, 137, run.stderr);
    assert.doesNotMatch(run.stdout, /unwatched-ran/);
    let [finding] = await s.waitFor((f) => f.reason === "unwatched_filesystem");
    assert.equal(finding.action, "killed");
    assert.equal(finding.path, "/tmp/u/echo");
    assert.equal(finding.containerId, "bed");
    assert.equal(finding.entry, false);
    assert.equal(s.sensor.stats().unwatched, 1);
    s.sensor.close();

    s = start("audit");
    run = runInBed(bed, fromUnwatched("echo", "unwatched-ran"));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /unwatched-ran/);
    [finding] = await s.waitFor((f) => f.reason === "unwatched_filesystem");
    assert.equal(finding.action, "audited");
    assert.equal(finding.verdict, "audited");
  });

  it("never judges a process of the container's cgroup in the host's mount namespace (runc's own)", async () => {
    const hostTmp = scratchDir("bpf-host-tmpfs");
    await runCommand("mount", ["-t", "tmpfs", "t", hostTmp.dir], 10000);
    try {
      fs.copyFileSync("/bin/busybox", path.join(hostTmp.dir, "echo"));
      const asRunc = ["-c", `echo $$ > ${bed.cgroupDir}/cgroup.procs && exec ${hostTmp.dir}/echo runc-ran`];
      const ownNamespace = fs.statSync("/proc/self/ns/mnt").ino;
      let s = start("enforce", false, ownNamespace);
      let run = await runCommand("/bin/sh", asRunc, 10000);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /runc-ran/);
      assert.ok(s.sensor.stats().hostMountNamespace >= 1);
      s.sensor.close();
      // The same without the host's namespace known: judged, and killed.
      s = start("enforce");
      run = await runCommand("/bin/sh", asRunc, 10000);
      assert.notEqual(run.code, 0);
      assert.doesNotMatch(run.stdout, /runc-ran/);
    } finally {
      await runCommand("umount", [hostTmp.dir], 10000);
      hostTmp.remove();
    }
  });

  it("reports a container process that names its memfd like runc's clone", async () => {
    const { waitFor, sensor } = start("enforce");
    const run = runInBed(bed, "/bin/fileless memfd runc_cloned:/proc/self/exe /bin/busybox true");
    assert.equal(run.code, 137, run.stderr);
    await waitFor((f) => f.name === "memfd:runc_cloned:/proc/self/exe" && f.containerId === "bed");
    assert.equal(sensor.stats().runcExcepted, 0);
  });

  it("does not report processes outside known containers, unless asked to", async () => {
    const host = async () => {
      const r = await runCommand(fileless, ["memfd", "dg-host", "/bin/busybox", "true"], 10000);
      assert.equal(r.code, 0, r.stderr);
    };
    let s = start("enforce");
    await host();
    await s.settle();
    // Seen by the program, then filtered (other processes on the machine may exec memfds too).
    assert.ok(s.sensor.stats().fileless >= 1);
    assert.deepEqual(s.findings, []);
    s.sensor.close();

    s = start("enforce", true);
    await host();
    const [finding] = await s.waitFor((f) => f.name === "memfd:dg-host");
    assert.equal(finding.containerId, "");
    assert.equal(finding.mode, "audit");
  });

  it("excepts runc's memfd:runc_cloned re-exec by a host program, even when reporting everything", async () => {
    const s = start("enforce", true);
    const r = await runCommand(fileless, ["memfd", "runc_cloned:/proc/self/exe", "/bin/busybox", "true"], 10000);
    assert.equal(r.code, 0, r.stderr);
    await s.settle();
    assert.equal(s.sensor.stats().runcExcepted, 1);
    assert.deepEqual(
      s.findings.filter((f) => f.name.startsWith("memfd:runc_cloned")),
      [],
    );
  });

  it("does not report a container whose mode is disabled, nor after it was removed", async () => {
    const s = start("disabled");
    assert.equal(runInBed(bed, "/bin/fileless memfd dg-off /bin/busybox true").code, 0);
    s.sensor.putContainers([{ cgroupId, containerId: "bed", execMode: "audit", libraryMode: "audit" }]);
    s.sensor.removeContainers([cgroupId]);
    assert.equal(runInBed(bed, "/bin/fileless memfd dg-gone /bin/busybox true").code, 0);
    await s.settle();
    assert.equal(s.sensor.stats().fileless, 2);
    assert.deepEqual(s.findings, []);
  });

  it("wakes the reader once per batch, not once per event", async () => {
    const s = start("audit");
    const n = 20;
    const script = Array.from({ length: n }, (_, i) => `/bin/fileless memfd dg-batch-${i} /bin/busybox true`);
    assert.equal(runInBed(bed, script.join(" && ")).code, 0);
    await s.waitFor((f) => f.name === `memfd:dg-batch-${n - 1}`);
    const stats = s.sensor.stats();
    assert.equal(stats.eventsRead, n);
    assert.equal(stats.readerWakeups, 0); // 20 events stay far below wakeupBytes: timer drains only
    assert.equal(stats.forcedWakeups, 0);
  });

  it("validates its arguments with one usage string", () => {
    const s = start("audit");
    assert.throws(() => s.sensor.putContainers([{ cgroupId: -1 } as never]), /cgroupId must be a non-negative/);
    assert.throws(
      () =>
        s.sensor.putContainers([{ cgroupId: 1, containerId: "x", execMode: "block", libraryMode: "audit" } as never]),
      /execMode must be "enforce", "audit" or "disabled"/,
    );
    assert.throws(() => s.sensor.putTrustedFiles({} as never), /usage: putTrustedFiles/);
  });
});
