// The exec fast path (fanotify ignore marks) on real fanotify and overlayfs: a silenced
// image binary raises no event again, a denied one never gets silenced (also when the deny
// arrives while the mark exists, or comes from a policy of no attached container), and a
// container sharing the layer is still held until attached for writable-layer and volume
// execs. Events are counted by allowedImage: only this guard's tables know this bed's layer.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import type { NativeExecGuard } from "../../../src/native/binding";
import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { guardHarness, policy, replaceBedBySibling } from "./guardHarness";

function populate(lower: string): void {
  busyboxLower(lower);
  fs.mkdirSync(path.join(lower, "usr", "bin"), { recursive: true });
  fs.copyFileSync("/bin/busybox", path.join(lower, "usr", "bin", "printf")); // an inode of its own
  fs.chmodSync(path.join(lower, "usr", "bin", "printf"), 0o755);
}

const PRINTF_20 = "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /usr/bin/printf x; done";

describe("ExecGuard exec ignore marks on real fanotify and overlayfs @root", function () {
  this.timeout(60000);
  const harness = guardHarness(populate);
  const { verdicts, attach, spawnInBed, settle } = harness;
  let bed: ReturnType<typeof harness.bed>;
  before(() => (bed = harness.bed()));

  /** Image-layer events this guard decided while script ran in the bed. */
  const imageEventsDuring = (g: NativeExecGuard, script: string) => {
    const before = g.stats().allowedImage;
    const run = runInBed(bed, script);
    assert.equal(run.code, 0, run.stderr);
    return { events: g.stats().allowedImage - before, stdout: run.stdout };
  };

  it("lets the second and later execs of an image binary raise no event at all", () => {
    const g = harness.start();
    const first = imageEventsDuring(g, PRINTF_20);
    assert.equal(first.stdout, "x".repeat(20));
    // The bed's own /bin/sh (busybox) and the first printf; every other exec is silent.
    assert.ok(first.events <= 2, `events: ${first.events}`);
    assert.equal(imageEventsDuring(g, PRINTF_20).events, 0);
    const stats = g.stats();
    assert.ok(stats.ignoreMarks >= 2 && stats.ignoreMarks === stats.ignoreMarksAdded, JSON.stringify(stats));
  });

  it("without ignore marks (limit 0) every exec is an event: what the test above counts", () => {
    const g = harness.start({ ignoreMarkLimit: 0 });
    imageEventsDuring(g, PRINTF_20);
    assert.ok(imageEventsDuring(g, PRINTF_20).events >= 20);
    assert.equal(g.stats().ignoreMarks, 0);
  });

  it("refuses a denied image binary on every exec, also when the deny arrives while its ignore mark exists", async () => {
    const g = harness.start();
    assert.equal(imageEventsDuring(g, PRINTF_20).stdout, "x".repeat(20));
    assert.equal(imageEventsDuring(g, PRINTF_20).events, 0, "printf is silenced");
    const flushes = g.stats().ignoreMarkFlushes;
    attach(g, policy("enforce", { denyPaths: ["/usr/bin/printf"] }));
    assert.equal(g.stats().ignoreMarkFlushes, flushes + 1);
    assert.equal(g.stats().ignoreMarks, 0);
    const run = runInBed(bed, "for i in 1 2 3; do /usr/bin/printf denied; echo rc=$?; done; /bin/echo other-runs");
    assert.equal(run.stdout, "rc=126\nrc=126\nrc=126\nother-runs\n", run.stderr);
    await settle(g);
    assert.deepEqual(
      verdicts.map((v) => [v.path, v.reason, v.verdict]),
      Array(3).fill(["/usr/bin/printf", "denied", "blocked"]),
    );
    // Denied files are never marked: every later exec is refused too.
    assert.equal(runInBed(bed, "/usr/bin/printf again; echo rc=$?").stdout, "rc=126\n");
  });

  it("never silences a file the policy of a container not attached yet denies, but allows it where not denied", () => {
    const g = harness.start();
    g.apply({ loadedDenyPaths: ["/usr/bin/printf"] });
    const run = imageEventsDuring(g, PRINTF_20);
    assert.equal(run.stdout, "x".repeat(20), "the bed's own policy allows it");
    assert.ok(imageEventsDuring(g, PRINTF_20).events >= 20, "each exec is decided");
  });

  it("still holds a container sharing a silenced layer until attached, for its writable-layer and volume execs", async () => {
    const g = harness.start({ deadlineMs: 15000 });
    assert.equal(imageEventsDuring(g, "/bin/echo warm").stdout, "warm\n");
    // The bed leaves; a sibling keeps the layer known (and its busybox silenced). The bed's
    // next process is a new container of the same image, not attached yet.
    replaceBedBySibling(g, bed);
    assert.ok(g.stats().ignoreMarks >= 1);
    const { child, exited, stdout } = spawnInBed(
      "/bin/echo image-ran; cp /bin/busybox /tmp/w && /tmp/w echo layer-ran; echo rc=$?; " +
        "cp /bin/busybox /data/v && /data/v echo volume-ran; echo rc=$?",
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(child.exitCode, null, "the writable-layer exec must wait for its container");
    assert.equal(stdout(), "image-ran\n", "the silenced image binary ran; nothing after it");
    assert.ok(g.stats().heldNow >= 1);
    attach(g, policy("enforce"));
    assert.equal(await exited, 0);
    assert.equal(stdout(), "image-ran\nrc=126\nrc=126\n");
    await settle(g);
    assert.deepEqual(
      verdicts.map((v) => [v.path, v.reason]),
      [
        ["/tmp/w", "new_file"],
        ["/data/v", "volume"],
      ],
    );
  });
});
