// A whole-filesystem volume is known by its device number, and device numbers are reused:
// a container's tmpfs goes away, a new mount gets its number, and the agent may not have
// detached the old container yet. Such an entry must never turn another container's
// writable-layer exec into a "volume" exec (which allow.volumes could let run).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { guardHarness, policy } from "./guardHarness";

describe("ExecGuard with a volume device number another container still lists @root", function () {
  this.timeout(60000);
  const harness = guardHarness(busyboxLower);
  const { verdicts, settle } = harness;

  it("judges a writable-layer exec by its place, not by a device number only a foreign container mounts", async () => {
    // The bed's own policy lets volume execs under /bin and /tmp run: misjudged as volume
    // execs, the image's busybox and the dropped copy would both run.
    const g = harness.start({ policy: policy("enforce", { allowVolumes: ["/bin/*", "/tmp/*"] }) });
    const bed = harness.bed();
    // What a writable-layer exec reports as st_dev (the filesystem under the snapshot root).
    const upperDev = fs.statSync(bed.upperDir).dev;
    g.apply({
      putContainers: [
        {
          id: "gone",
          upperDir: path.join(bed.snapshotRoot, "gone-upper"),
          lowerDirs: [],
          cgroupLeaf: "gone-cgroup-leaf",
          imageKey: "",
          rootDev: 0,
          policy: policy("enforce"),
          volumes: [{ source: "", dev: upperDev, destination: "/scratch" }],
        },
      ],
    });
    const run = runInBed(bed, "cp /bin/busybox /tmp/echo && /tmp/echo ran");
    assert.equal(run.code, 126, `the drift ran: ${run.stdout}${run.stderr}`);
    await settle(g);
    const mine = verdicts.filter((v) => v.hostPath === path.join(bed.upperDir, "tmp", "echo"));
    assert.deepEqual(
      mine.map((v) => [v.reason, v.verdict, v.containerId]),
      [["new_file", "blocked", "bed"]],
      JSON.stringify(verdicts),
    );
  });
});
