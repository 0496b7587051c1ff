// The exec ignore marks' bound under 100 000 distinct image layer files, on real fanotify and
// overlayfs: never more marks than the limit, as the guard counts them and as the kernel
// lists them for the group (/proc/self/fdinfo), and an evicted file raises events again.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { guardHarness } from "./guardHarness";

const FILES = 100000;
const LIMIT = 1000;
const SOURCE = path.resolve(__dirname, "..", "..", "..", "..", "test", "integration", "native", "programs");

function populate(lower: string): void {
  busyboxLower(lower);
  execFileSync("gcc", ["-O2", "-static", "-o", path.join(lower, "bin", "execmany"), path.join(SOURCE, "execmany.c")]);
  const many = path.join(lower, "many");
  fs.mkdirSync(many);
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(many, String(i)), "", { mode: 0o755 });
}

/** Inode marks of this process's fanotify groups, as the kernel lists them. */
function kernelInodeMarks(): number {
  let marks = 0;
  for (const fd of fs.readdirSync("/proc/self/fd")) {
    let target = "";
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the fd of the readdir itself
    }
    if (target !== "anon_inode:[fanotify]") continue;
    const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8");
    marks += info.split("\n").filter((line) => line.startsWith("fanotify ino:")).length;
  }
  return marks;
}

describe("ExecGuard exec ignore marks: the limit under 100 000 distinct binaries @root", function () {
  this.timeout(300000);
  const harness = guardHarness(populate);

  it("never keeps more marks than its limit, evicting the oldest, whose file raises events again", () => {
    const bed = harness.bed();
    const g = harness.start({ ignoreMarkLimit: LIMIT });
    const run = runInBed(bed, `/bin/execmany /many ${FILES}`, 280000);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { noexec: FILES, other: 0 });
    const stats = g.stats();
    assert.equal(stats.ignoreMarkLimit, LIMIT);
    assert.ok(stats.ignoreMarks <= LIMIT && stats.ignoreMarks >= LIMIT - 1, JSON.stringify(stats));
    assert.ok(stats.ignoreMarksAdded >= FILES, JSON.stringify(stats));
    assert.ok(stats.ignoreMarkEvictions >= FILES - LIMIT, JSON.stringify(stats));
    const inKernel = kernelInodeMarks();
    assert.ok(inKernel <= LIMIT && inKernel > 0, `kernel lists ${inKernel} inode marks`);
    // The first files were evicted long ago: each raises its event again; the last are silent.
    // (The bed's sh and execmany were among the first too: marked again here, first.)
    assert.equal(runInBed(bed, "/bin/execmany /many 0 && mkdir /l && ln -s /many/0 /l/x").code, 0);
    const events = (script: string) => {
      const before = g.stats().allowedImage;
      assert.equal(runInBed(bed, script).code, 0);
      return g.stats().allowedImage - before;
    };
    assert.equal(events(`/bin/execmany /many 10; /bin/execmany /many 10`), 10);
    const last = `for i in 1 2 3 4 5; do ln -s /many/$((${FILES} - i)) /l/$((i - 1)); done; /bin/execmany /l 5`;
    assert.equal(events(last), 0);
  });
});
