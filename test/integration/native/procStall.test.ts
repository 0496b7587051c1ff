// An attacker who stalls the agent's reads of its own /proc files (issue 12's "forced
// fail-open", through the kernel's mmap lock): threads mapping and unmapping populated
// memory keep /proc/<pid>/cmdline unreadable for seconds, without any privilege. The guard
// must never wait for it before answering: a stall past the deadline would let the watchdog
// answer the exec with the fail mode (open: it runs).
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { busyboxLower, runInBed } from "../../testbed/overlayBed";
import { buildTestProgram } from "../bpf/sensorHelpers";
import { guardHarness, policy } from "./guardHarness";

function withStallProgram(lowerDir: string): void {
  busyboxLower(lowerDir);
  // In the image: the attacker's loader is an image program; only what it execs is drift.
  buildTestProgram("mmstall", path.join(lowerDir, "bin"));
}

describe("ExecGuard against a process that stalls reads of its /proc files @root", function () {
  this.timeout(120000);
  const harness = guardHarness(withStallProgram);
  const { verdicts, settle } = harness;

  it("refuses every drift exec of a process holding its mmap lock, and says the command line was not read", async () => {
    const g = harness.start({ deadlineMs: 400, failMode: "open", policy: policy("enforce") });
    // Tries for 3 s while two threads map 512 MiB each: on the old code, a read of the
    // command line took longer than the 400 ms deadline within a second and the exec ran
    // (fail-open). A stall is likely, not certain, on any one try: hence the duration.
    const run = runInBed(
      harness.bed(),
      "cp /bin/busybox /tmp/echo && /bin/mmstall 512 2 3000 /tmp/echo drift-ran; echo rc=$?",
      90000,
    );
    assert.doesNotMatch(run.stdout, /drift-ran/, run.stdout + run.stderr);
    const tries = Number(/refused (\d+)\nrc=0/.exec(run.stdout)?.[1]);
    assert.ok(tries >= 10, run.stdout + run.stderr);
    await settle(g, 300);
    const refused = verdicts.filter((v) => v.path === "/tmp/echo");
    assert.equal(refused.length, tries, JSON.stringify(refused.map((v) => [v.reason, v.verdict])));
    assert.ok(
      refused.every((v) => v.reason !== "deadline_exceeded" && v.verdict === "blocked"),
      "decided by the policy, never by the watchdog",
    );
    const stats = g.stats();
    assert.equal(stats.deadlineExceeded, 0, JSON.stringify(stats));
    // The attack really stalled a read (else this test proves nothing): the guard gave up
    // waiting for at least one command line, and those findings say so.
    assert.ok(stats.procReadsAbandoned >= 1, JSON.stringify(stats));
    assert.ok(
      refused.some((v) => v.cmdlineUnread),
      "a finding names the command line it could not read",
    );
  });
});
