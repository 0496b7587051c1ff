// Exec ignore marks paused by a container start, on real fanotify and overlayfs: an exec of
// a watched runtime binary (a stand-in for runc, run by this host process as the containerd
// shim runs runc) removes every ignore mark before it is answered, so the next container's
// entrypoint, an image binary another container had silenced, raises an event and is held
// until the container is attached; no mark comes back before a resume that saw no newer
// pause, and marks come back after it.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import type { NativeExecGuard } from "../../../src/native/binding";
import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { guardHarness, policy, replaceBedBySibling } from "./guardHarness";

describe("ExecGuard ignore marks paused by a container runtime exec @root", function () {
  this.timeout(60000);
  const harness = guardHarness(busyboxLower);
  const { verdicts, attach, spawnInBed, settle } = harness;
  let bed: ReturnType<typeof harness.bed>;
  let runtime: string;
  before(() => {
    bed = harness.bed();
    runtime = path.join(bed.root, "fake-runc"); // a host file: never an ignore mark of its own
    fs.copyFileSync("/bin/true", runtime);
    fs.chmodSync(runtime, 0o755);
  });

  function warm(g: NativeExecGuard): void {
    for (let i = 0; i < 2; i++) assert.equal(runInBed(bed, "/bin/echo warm").stdout, "warm\n");
    assert.ok(g.stats().ignoreMarks >= 1, JSON.stringify(g.stats()));
  }

  it("holds a new container's silenced entrypoint until attached once the runtime ran", async () => {
    const g = harness.start({ deadlineMs: 15000 });
    assert.equal(g.watchRuntimeBinaries([runtime, path.join(bed.root, "no-such-runtime")]), 1);
    warm(g);
    replaceBedBySibling(g, bed);
    const before = g.startPause();
    execFileSync(runtime, ["true"]); // the shim's `runc create` / `runc start`
    const { child, exited, stdout } = spawnInBed("/bin/echo image-ran; cp /bin/busybox /data/v && /data/v echo ran");
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(stdout(), "", "the silenced image binary is held, not run");
    assert.equal(child.exitCode, null, "the entrypoint must wait for its container");
    assert.ok(g.stats().heldNow >= 1);
    const paused = g.startPause();
    assert.ok(paused.paused && paused.seq > before.seq, JSON.stringify(paused));
    assert.equal(g.stats().ignoreMarks, 0, "flushed before the runtime ran");
    assert.equal(g.stats().runtimeExecs, 1);
    attach(g, policy("enforce"));
    assert.equal(await exited, 126);
    assert.equal(stdout(), "image-ran\n");
    await settle(g);
    assert.deepEqual(
      verdicts.map((v) => [v.path, v.reason, v.verdict]),
      [["/data/v", "volume", "blocked"]],
    );
  });

  it("adds no mark while paused, refuses a resume older than the last pause, and marks again after resume", () => {
    const g = harness.start();
    g.watchRuntimeBinaries([runtime]);
    warm(g);
    const stale = g.startPause().seq;
    execFileSync(runtime, ["true"]);
    assert.equal(g.resumeIgnoreMarks(stale), false, "a pause came after what the caller saw");
    runInBed(bed, "/bin/echo a; /bin/echo b");
    assert.equal(g.stats().ignoreMarks, 0, "no mark while paused");
    assert.ok(g.stats().ignoreMarksPaused);
    assert.equal(g.resumeIgnoreMarks(g.startPause().seq), true);
    warm(g);
    assert.equal(g.stats().ignoreMarkResumes, 1);
  });

  it("starts paused when asked (the agent), and never resumes without a watched runtime", () => {
    const g = harness.start({ ignoreMarksStartPaused: true });
    runInBed(bed, "/bin/echo a; /bin/echo b");
    assert.equal(g.stats().ignoreMarks, 0);
    assert.equal(g.resumeIgnoreMarks(g.startPause().seq), false, "no runtime watched: its starts would be unseen");
    assert.equal(g.watchRuntimeBinaries([runtime]), 1);
    assert.equal(g.resumeIgnoreMarks(g.startPause().seq), true);
    warm(g);
  });
  it("tells the agent of each pause at once, on the JS thread, one call for pauses that came together", async () => {
    const g = harness.start();
    g.watchRuntimeBinaries([runtime]);
    const seen: number[] = [];
    let closed = false;
    g.onStartPause(() => seen.push(closed ? -1 : g.startPause().seq));
    const first = g.startPause().seq;
    execFileSync(runtime, ["true"]);
    execFileSync(runtime, ["true"]); // both before the JS thread is free: one call covers them
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, [first + 2]);
    execFileSync(runtime, ["true"]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen, [first + 2, first + 3]);
    // A call queued just before close: delivered or dropped, it touches nothing freed.
    execFileSync(runtime, ["true"]);
    g.close();
    closed = true;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // (Node delivers it here: the listener runs, the closed guard is not called.)
    assert.ok(seen.length <= 3 && seen.slice(2).every((s) => s === -1), JSON.stringify(seen));
    assert.deepEqual(seen.slice(0, 2), [first + 2, first + 3]);
  });
});
