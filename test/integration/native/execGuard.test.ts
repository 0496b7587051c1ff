// The native exec guard on real fanotify and a real overlay mount, without containerd:
// every drift reason, both modes, exceptions, the hold for unknown containers, the
// watchdog, and a JS thread blocked for 10 s.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { sha256Of } from "../../testbed/imageTable";
import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { guardHarness, policy, siblingOf } from "./guardHarness";

const BUSYBOX_SHA = sha256Of("/bin/busybox");

function populate(lower: string): void {
  busyboxLower(lower);
  fs.mkdirSync(path.join(lower, "opt"));
  fs.writeFileSync(path.join(lower, "opt", "script.sh"), "#!/bin/sh\necho script\n", { mode: 0o755 });
  fs.copyFileSync("/bin/busybox", path.join(lower, "etc", "elf-data")); // a program without exec bit
  fs.mkdirSync(path.join(lower, "usr", "bin"), { recursive: true });
  fs.copyFileSync("/bin/busybox", path.join(lower, "usr", "bin", "printf")); // a real file, for the deny list
  fs.chmodSync(path.join(lower, "usr", "bin", "printf"), 0o755);
  fs.chmodSync(path.join(lower, "etc", "elf-data"), 0o644);
}

// Run once per way of telling processes apart: by cgroup id (Linux >= 6.13, this machine)
// and by mount namespace (older kernels, e.g. EKS's 6.1 and 6.12).
for (const processIdentity of ["auto", "mount-namespace"] as const)
  describe(`ExecGuard on real fanotify and overlayfs, process identity ${processIdentity} @root`, function () {
    this.timeout(60000);
    const harness = guardHarness(populate, processIdentity);
    const { verdicts, attach, spawnInBed, settle } = harness;
    const startGuard = harness.start;
    let bed: ReturnType<typeof harness.bed>;
    before(() => (bed = harness.bed()));

    it("runs image binaries and blocks a copied binary with new_file, saying which image file it copies", async () => {
      const g = startGuard();
      assert.equal(g.stats().processIdentity, processIdentity === "auto" ? "cgroup-id" : "mount-namespace");
      const run = runInBed(bed, "echo image-ok && cp /bin/busybox /tmp/echo && /tmp/echo copied");
      assert.match(run.stdout, /image-ok/);
      assert.equal(run.code, 126, run.stderr);
      assert.match(run.stderr, /\/tmp\/echo: Operation not permitted/);
      await settle(g);
      assert.equal(verdicts.length, 1, JSON.stringify(verdicts));
      const [v] = verdicts;
      assert.equal(v.reason, "new_file");
      assert.equal(v.verdict, "blocked");
      assert.equal(v.path, "/tmp/echo");
      assert.equal(v.hostPath, path.join(bed.upperDir, "tmp", "echo"));
      assert.equal(v.copyOf, "/bin/busybox");
      assert.equal(v.sha256, BUSYBOX_SHA);
      assert.equal(v.containerId, "bed");
      assert.equal(v.policy, "test-enforce");
      assert.ok(v.ppid > 0 && v.uid === 0, JSON.stringify(v));
    });

    it("blocks an image program overwritten in place (modified) and made executable (made_executable)", async () => {
      const g = startGuard();
      const run = runInBed(
        bed,
        "cp /bin/busybox /opt/script.sh; /opt/script.sh; chmod +x /etc/elf-data; /etc/elf-data; " +
          "cp /bin/busybox /etc/notes.txt; chmod +x /etc/notes.txt; /etc/notes.txt; echo end",
      );
      assert.match(run.stdout, /end/);
      await settle(g);
      assert.deepEqual(
        verdicts.map((v) => [v.path, v.reason, v.verdict]),
        [
          ["/opt/script.sh", "modified", "blocked"],
          ["/etc/elf-data", "made_executable", "blocked"],
          ["/etc/notes.txt", "made_executable", "blocked"],
        ],
      );
    });

    it("lets a copied-up but unchanged image binary run, and caches its digest once its timestamps settled", async () => {
      const g = startGuard();
      // Every applet is busybox: chmod already runs the copy. Execs within a few clock ticks
      // of the copy-up are hashed each time (a write in the same tick would leave the
      // timestamps as they are); after that, the digest is cached.
      const run = runInBed(
        bed,
        "touch /bin/busybox && chmod 755 /bin/busybox && /bin/true && usleep 100000 && /bin/true && /bin/true && echo ran",
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /ran/);
      assert.ok(fs.existsSync(path.join(bed.upperDir, "bin", "busybox")), "busybox was copied up");
      await settle(g);
      assert.deepEqual(verdicts, []);
      const stats = g.stats();
      assert.ok(stats.racyNotCached >= 1, JSON.stringify(stats));
      assert.ok(stats.hashCacheHits >= 1, JSON.stringify(stats));
      assert.ok(stats.commitHolds >= 3, "each proven exec keeps the file unwritable until it committed");
      assert.equal(stats.blocked, 0);
    });

    it("blocks binaries on a tmpfs volume and on a bind-mounted host dir (volume)", async () => {
      const g = startGuard();
      const run = runInBed(
        bed,
        "cp /bin/busybox /data/echo; /data/echo t; cp /bin/busybox /hostvol/echo; /hostvol/echo h; echo end",
      );
      assert.match(run.stdout, /end/);
      assert.doesNotMatch(run.stdout, /^[th]$/m);
      await settle(g);
      assert.deepEqual(
        verdicts.map((v) => [v.path, v.reason, v.verdict]),
        [
          ["/data/echo", "volume", "blocked"],
          ["/hostvol/echo", "volume", "blocked"],
        ],
      );
    });

    it("audit mode lets drift run and records the same findings as audited", async () => {
      const g = startGuard({ policy: policy("audit") });
      const run = runInBed(
        bed,
        "mkdir -p /tmp/a && cp /bin/busybox /tmp/a/echo && /tmp/a/echo audited-ran && mkdir -p /data/a && cp /bin/busybox /data/a/echo && /data/a/echo vol-ran",
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /audited-ran/);
      assert.match(run.stdout, /vol-ran/);
      await settle(g);
      assert.deepEqual(
        verdicts.map((v) => [v.path, v.reason, v.verdict, v.mode]),
        [
          ["/tmp/a/echo", "new_file", "audited", "audit"],
          ["/data/a/echo", "volume", "audited", "audit"],
        ],
      );
    });

    it("disabled mode and allow exceptions let drift run without findings", async () => {
      let g = startGuard({ policy: policy("disabled") });
      assert.equal(runInBed(bed, "mkdir -p /tmp/d && cp /bin/busybox /tmp/d/echo && /tmp/d/echo ok").code, 0);
      await settle(g);
      assert.equal(verdicts.length, 0, JSON.stringify(verdicts));
      g.close();
      g = startGuard({ policy: policy("enforce", { allowPaths: ["/tmp/allowed-*/*"] }) });
      const run = runInBed(
        bed,
        "mkdir -p /tmp/allowed-x /tmp/other && cp /bin/busybox /tmp/allowed-x/echo && /tmp/allowed-x/echo path-ok; cp /bin/busybox /tmp/other/echo; /tmp/other/echo no",
      );
      assert.match(run.stdout, /path-ok/);
      assert.doesNotMatch(run.stdout, /^no$/m);
      g.close();
      g = startGuard({ policy: policy("enforce", { allowDigests: [BUSYBOX_SHA] }) });
      assert.equal(runInBed(bed, "mkdir -p /tmp/e && cp /bin/busybox /tmp/e/echo && /tmp/e/echo digest-ok").code, 0);
      await settle(g);
      assert.deepEqual(
        verdicts.map((v) => v.path),
        ["/tmp/other/echo"],
      );
    });

    it("denies an image binary on the policy's deny list, and only in that container's policy", async () => {
      const g = startGuard({ policy: policy("enforce", { denyPaths: ["/usr/bin/printf"] }) });
      const run = runInBed(bed, "/usr/bin/printf 'denied?\\n'; echo rc=$?; /bin/echo other-image-binary-runs");
      assert.match(run.stdout, /rc=126/);
      assert.match(run.stdout, /other-image-binary-runs/);
      assert.doesNotMatch(run.stdout, /denied\?/);
      await settle(g);
      assert.deepEqual(
        verdicts.map((v) => [v.path, v.reason, v.verdict]),
        [["/usr/bin/printf", "denied", "blocked"]],
      );
      // The host runs the same layer file directly: no container, no policy.
      const host = spawnSync(path.join(bed.lowerDir, "usr", "bin", "printf"), ["host-ok"], { encoding: "utf8" });
      assert.equal(host.stdout, "host-ok");
    });

    it("allows drift run by a program the policy names as a parent", async () => {
      const g = startGuard({ policy: policy("enforce", { allowParents: ["/bin/busybox"] }) });
      const run = runInBed(bed, "mkdir -p /tmp/p && cp /bin/busybox /tmp/p/echo && /tmp/p/echo parent-allowed");
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /parent-allowed/);
      await settle(g);
      assert.equal(verdicts.length, 0);
    });

    it("holds the execs of a container it does not know yet and decides them under its policy once attached", async () => {
      const g = startGuard({ attach: false, deadlineMs: 10000 });
      const started = Date.now();
      const { child, exited, stdout } = spawnInBed("cp /bin/busybox /tmp/held && /tmp/held x; echo rc=$?");
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(child.exitCode, null, "the first exec must wait for the container to be known");
      assert.ok(g.stats().heldNow >= 1, JSON.stringify(g.stats()));
      attach(g, policy("enforce"));
      await exited;
      assert.match(stdout(), /rc=126/);
      assert.ok(Date.now() - started < 5000);
      await settle(g);
      assert.deepEqual(
        verdicts.map((v) => [v.path, v.reason, v.verdict]),
        [["/tmp/held", "new_file", "blocked"]],
      );
    });

    it("holds even an image binary when its process belongs to a container not attached yet", async () => {
      // The image layer is known (a sibling container uses it), so only the process tells
      // that a new container is starting, before its own mounts are marked.
      const g = startGuard({ attach: false, deadlineMs: 10000 });
      g.apply(siblingOf(bed));
      const { child, exited, stdout } = spawnInBed("echo first-exec-ran");
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(child.exitCode, null, "the image binary must wait for its container");
      assert.equal(stdout(), "");
      attach(g, policy("enforce"));
      assert.equal(await exited, 0);
      assert.match(stdout(), /first-exec-ran/);
    });

    it("does not hold a process of a container it does not watch (no container cgroup)", async () => {
      const g = startGuard({ attach: false, deadlineMs: 5000 });
      const dropped = path.join(bed.snapshotRoot, "7", "fs", "x");
      fs.mkdirSync(dropped, { recursive: true });
      fs.copyFileSync("/bin/busybox", path.join(dropped, "echo"));
      fs.chmodSync(path.join(dropped, "echo"), 0o755);
      const started = Date.now();
      const run = spawnSync("unshare", ["-m", path.join(dropped, "echo"), "unwatched"], { encoding: "utf8" });
      assert.equal(run.stdout, "unwatched\n", run.stderr);
      assert.ok(Date.now() - started < 1000, "not held until the deadline");
      assert.equal(g.stats().heldTotal, 0);
    });

    it("answers an exec nobody decides at the deadline: denied when fail-closed, allowed when fail-open", async () => {
      let g = startGuard({ attach: false, deadlineMs: 400, failMode: "closed" });
      let run = runInBed(bed, "echo never");
      assert.notEqual(run.code, 0);
      assert.doesNotMatch(run.stdout, /never/);
      assert.ok(run.ms >= 350 && run.ms < 3000, `took ${run.ms} ms`);
      await settle(g);
      assert.ok(
        verdicts.some((v) => v.reason === "deadline_exceeded" && v.verdict === "blocked"),
        JSON.stringify(verdicts),
      );
      g.close();
      verdicts.length = 0;
      g = startGuard({ attach: false, deadlineMs: 400, failMode: "open" });
      run = runInBed(bed, "echo allowed-late");
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /allowed-late/);
      await settle(g);
      assert.ok(verdicts.every((v) => v.reason === "deadline_exceeded" && v.verdict === "audited"));
      assert.ok(g.stats().deadlineExceeded >= 1);
    });

    it("decides every exec while the JS thread is blocked for 10 s, and delivers the verdicts afterwards", async function () {
      this.timeout(40000);
      const g = startGuard();
      const done = path.join(bed.hostDir, "done");
      fs.rmSync(done, { force: true });
      const script =
        "cp /bin/busybox /tmp/blocked; i=0; while [ $i -lt 50 ]; do /bin/true; /tmp/blocked 2>>/tmp/err; i=$((i+1)); done; echo done > /hostvol/done";
      const { exited } = spawnInBed(script);
      const blockedFor = 10000;
      const started = Date.now();
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blockedFor); // the JS thread sleeps
      assert.ok(Date.now() - started >= blockedFor - 50);
      assert.ok(fs.existsSync(done), "the 100 execs must have finished while JS was blocked");
      await exited;
      await settle(g);
      assert.equal(verdicts.filter((v) => v.path === "/tmp/blocked" && v.verdict === "blocked").length, 50);
      assert.equal(g.stats().deadlineExceeded, 0);
    });

    it("drops and counts verdicts past its buffer while JS is busy, never blocking an exec", async () => {
      const g = startGuard({ verdictBufferLimit: 5 });
      const { exited } = spawnInBed(
        "cp /bin/busybox /tmp/many; i=0; while [ $i -lt 20 ]; do /tmp/many 2>>/tmp/err; i=$((i+1)); done",
      );
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
      await exited;
      await settle(g);
      const stats = g.stats();
      assert.equal(verdicts.length, 5);
      assert.equal(stats.verdictsDropped, 15);
      assert.equal(stats.blocked, 20);
    });
  });
