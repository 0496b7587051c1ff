// The native exec guard's deadlines on real fanotify and overlayfs (issue 12, items 4, 6
// and 7): a verdict that needs what it cannot get in time (a hash, a baseline) is the
// container's policy's to answer, unverified, whatever the global fail mode; and a stall
// inside the fanotify read() is the watchdog's to see.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";

import type { NativeImageTable } from "../../../src/native/binding";
import { IMAGE_FILE_EXECUTABLE, IMAGE_FILE_HASHED } from "../../../src/native/binding";
import { imageTableOf } from "../../testbed/imageTable";
import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { buildTestProgram } from "../bpf/sensorHelpers";
import { guardHarness, policy } from "./guardHarness";

// Just under the default hash limit: hashing it takes far longer than a 300 ms hash deadline.
const BIG = 1073741000;

/** The image's table with one more program: /opt/big, BIG bytes, whose digest no copy will match. */
function withBigProgram(table: NativeImageTable): NativeImageTable {
  return {
    files: [...table.files, "/opt/big"],
    digests: Buffer.concat([table.digests, Buffer.alloc(32, 0xab)]),
    flags: Uint8Array.from([...table.flags, IMAGE_FILE_EXECUTABLE | IMAGE_FILE_HASHED]),
    sizes: Float64Array.from([...table.sizes, BIG]),
    otherPaths: table.otherPaths,
  };
}

describe("ExecGuard deadlines on real fanotify and overlayfs @root", function () {
  this.timeout(60000);
  const harness = guardHarness(busyboxLower);
  const { verdicts, attach, settle } = harness;
  const bed = () => harness.bed();

  for (const mode of ["enforce", "audit"] as const) {
    it(`${mode}: a copy with the image file's size whose hash misses the hash deadline is the policy's (unverified), even fail-open`, async () => {
      const g = harness.start({ attach: false, deadlineMs: 400, failMode: "open" });
      g.apply({ putImages: [{ key: "big-image", table: withBigProgram(imageTableOf(bed().lowerDir)) }] });
      attach(g, policy(mode), { imageKey: "big-image" });
      // A symlink named echo: busybox runs its echo applet from the padded copy.
      const run = runInBed(
        bed(),
        `mkdir -p /opt && cp /bin/busybox /opt/big && truncate -s ${BIG} /opt/big && ln -sf /opt/big /tmp/echo && /tmp/echo big-ran; echo rc=$?`,
      );
      assert.match(run.stdout, mode === "enforce" ? /rc=126/ : /big-ran\nrc=0/, run.stdout + run.stderr);
      await settle(g, 300);
      const found = verdicts.filter((v) => v.path === "/opt/big");
      assert.deepEqual(
        found.map((v) => [v.reason, v.verdict, v.mode, v.containerId, v.policy]),
        [["unverified", mode === "enforce" ? "blocked" : "audited", mode, "bed", `test-${mode}`]],
      );
      assert.match(found[0].exe, /busybox/, "the process, read while it waited");
      assert.ok(g.stats().unverified >= 1);
    });
  }

  it("answers the writable-layer execs of a container whose baseline is still pending by its policy at the hash deadline", async () => {
    // The fail mode would let it run (open) and only at 6 s.
    const g = harness.start({ attach: false, deadlineMs: 6000, hashDeadlineMs: 500, failMode: "open" });
    attach(g, policy("enforce"), { imageKey: "" });
    const run = runInBed(bed(), "/bin/true && echo image-ran; cp /bin/busybox /tmp/early && /tmp/early x; echo rc=$?");
    assert.match(run.stdout, /image-ran/, "image programs need no baseline");
    assert.match(run.stdout, /rc=126/, run.stdout + run.stderr);
    assert.ok(run.ms < 5000, `took ${run.ms} ms`);
    await settle(g, 200);
    assert.deepEqual(
      verdicts.filter((v) => v.path === "/tmp/early").map((v) => [v.reason, v.verdict, v.containerId]),
      [["unverified", "blocked", "bed"]],
    );
  });

  for (const mode of ["enforce", "audit"] as const) {
    it(`${mode}: a container without a baseline (failed, over budget) has every writable-layer exec unverified at once`, async () => {
      // Deadlines far away: an answer by either would take seconds.
      const g = harness.start({ attach: false, deadlineMs: 20000, failMode: "open" });
      attach(g, policy(mode), { imageKey: "", baselineFailed: true });
      const run = runInBed(
        bed(),
        "/bin/true && echo image-ran; mkdir -p /tmp/nb && cp /bin/busybox /tmp/nb/echo && /tmp/nb/echo x; echo rc=$?",
      );
      assert.match(run.stdout, /image-ran/, "image programs need no baseline");
      assert.match(run.stdout, mode === "enforce" ? /rc=126/ : /x\nrc=0/, run.stdout + run.stderr);
      assert.ok(run.ms < 10000, `decided at once, not at a deadline: ${run.ms} ms`);
      await settle(g, 100);
      assert.deepEqual(
        verdicts.map((v) => [v.path, v.reason, v.verdict]),
        [["/tmp/nb/echo", "unverified", mode === "enforce" ? "blocked" : "audited"]],
      );
    });
  }

  it("sees a stall inside the fanotify read(): the execs queued behind it are answered at the deadline", async () => {
    // A host process's write lease on the file being exec'd: the kernel's open of the event's
    // descriptor, inside our read(), waits until the lease is given up (2 s here).
    const program = buildTestProgram("leasehold", bed().root);
    const g = harness.start({ deadlineMs: 300, failMode: "open" });
    const name = `leased-${Date.now()}`;
    const real = path.join(bed().upperDir, "tmp", name);
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.copyFileSync("/bin/busybox", real);
    fs.chmodSync(real, 0o755);
    const holder = spawn(program, [real, "2000"], { stdio: ["ignore", "pipe", "inherit"] });
    const holderExited = new Promise((resolve) => holder.on("exit", resolve));
    try {
      const lines = readline.createInterface({ input: holder.stdout! });
      const line = (text: string) =>
        new Promise<void>((resolve, reject) => {
          lines.on("line", (l) => l === text && resolve());
          holder.once("exit", (code) => reject(new Error(`leasehold exited ${code} before "${text}"`)));
        });
      await line("leased");
      const broken = line("broken");
      const stalled = harness.spawnInBed(`/tmp/${name} x`);
      await broken; // a fanotify read() waits for the lease now
      await new Promise((resolve) => setTimeout(resolve, 100));
      // A host exec queued behind it: a static program on the bed's tmpfs, which only this
      // guard marks (other guards on this machine would stall on the lease as well).
      const onTmpfs = path.join(bed().merged, "data", `busybox-${Date.now()}`);
      fs.copyFileSync("/bin/busybox", onTmpfs);
      fs.chmodSync(onTmpfs, 0o755);
      const started = Date.now();
      const behind = spawnSync(onTmpfs, ["true"]);
      const ms = Date.now() - started;
      assert.equal(behind.status, 0);
      assert.ok(ms < 1200, `the exec behind the stall waited ${ms} ms (the lease holds 2000)`);
      assert.ok(g.stats().stalledDrained >= 1, JSON.stringify(g.stats()));
      assert.equal(await stalled.exited, 126, "the stalled exec is still decided once the read returns");
    } finally {
      holder.kill();
      await holderExited;
    }
  });
});
