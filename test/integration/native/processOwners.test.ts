// Telling processes apart by mount namespace (kernels before 6.13): a namespace's inode
// number is reused as soon as it dies. A container process that exits leaves its number
// free while the guard's cache, valid for the tables generation, still says "container";
// a host process with a fresh namespace of that number must not be taken for the container.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { guardHarness } from "./guardHarness";

describe("ExecGuard process identity by mount namespace, with namespace numbers reused @root", function () {
  this.timeout(120000);
  const harness = guardHarness(busyboxLower, "mount-namespace");

  it("never decides a host process as the container whose namespace number it got", () => {
    const bed = harness.bed();
    const g = harness.start({ deadlineMs: 3000 });
    const dropped = path.join(bed.snapshotRoot, "7", "fs");
    fs.mkdirSync(dropped, { recursive: true });
    fs.copyFileSync("/bin/busybox", path.join(dropped, "echo"));
    fs.chmodSync(path.join(dropped, "echo"), 0o755);
    for (let round = 0; round < 20; round++) {
      assert.equal(runInBed(bed, "/bin/true").code, 0); // its namespace is cached, then dies
      // A host process in a new mount namespace, running a file of a snapshot nobody knows:
      // not a container's, so not held (a container's would wait for the deadline).
      const started = Date.now();
      const run = spawnSync("unshare", ["-m", path.join(dropped, "echo"), "host"], { encoding: "utf8" });
      assert.equal(run.stdout, "host\n", run.stderr);
      assert.ok(Date.now() - started < 1500, `round ${round}: held as the container's`);
    }
    assert.equal(g.stats().heldTotal, 0);
  });
});
