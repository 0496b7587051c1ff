// The lineage reader against a process that holds its own mmap lock (threads mapping and
// unmapping populated memory): reading its /proc/<pid>/cmdline waits for that lock, for
// seconds on this machine kind. The agent's JavaScript thread must never wait with it: it
// attaches containers, answers probes and ships findings.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";

import { readProcProcess } from "../../../src/agent/lineage/procProcess";
import { buildTestProgram } from "../bpf/sensorHelpers";

describe("Lineage of a process that stalls reads of its command line", function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dg-lineage-stall-"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the process without waiting for its lock: arguments unknown, everything else there", async () => {
    const program = buildTestProgram("mmstall", dir);
    const stalling = spawn(program, ["512", "2", "0", "/bin/true"], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = new Promise((resolve) => stalling.on("exit", resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        readline.createInterface({ input: stalling.stdout! }).on("line", (l) => l === "stalling" && resolve());
        stalling.once("exit", (code) => reject(new Error(`mmstall exited ${code}`)));
      });
      let unread = 0;
      let slowest = 0;
      for (let i = 0; i < 40; i++) {
        const started = Date.now();
        const p = readProcProcess("/proc", stalling.pid!);
        slowest = Math.max(slowest, Date.now() - started);
        assert.ok(p, "the process is there");
        assert.equal(p.pid, stalling.pid);
        assert.equal(p.ppid, process.pid);
        assert.match(p.exe, /mmstall/);
        if (p.argv.length === 0) unread++;
        else assert.deepEqual(p.argv, [program, "512", "2", "0", "/bin/true"]);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Bounded: ~50 ms of waiting per read at most (and 250 ms per second), plus scheduling.
      assert.ok(slowest < 400, `a read took ${slowest} ms`);
      assert.ok(unread >= 1, "the stall happened (else this test proves nothing)");
    } finally {
      stalling.kill("SIGKILL");
      await exited;
    }
  });
});
