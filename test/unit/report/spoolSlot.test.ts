// Two agents on one node (a surge rollout) share the state dir: each takes its own spool
// slot, held by a flock the kernel drops when its holder dies, so a slot frees itself.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

import { nativeBinding } from "../../../src/native/binding";
import { SPOOL_SLOTS, takeSpoolSlot } from "../../../src/report/spool/spoolSlot";
import { scratchDir } from "../../testbed/ociImage";

const lock = (file: string): boolean => nativeBinding().holdFileLock(file);

describe("spool slots: one spool per agent in a shared state dir", () => {
  const scratch = scratchDir("spool-slots");
  after(() => scratch.remove());

  it("gives each holder its own slot, slot 0 where the spool always was, and refuses past the last", () => {
    const dir = path.join(scratch.dir, "state-a");
    const taken = [];
    for (let i = 0; i < SPOOL_SLOTS; i++) taken.push(takeSpoolSlot(dir, lock)); // each open is its own holder
    assert.deepEqual(
      taken.map((s) => path.relative(dir, s.dir)),
      ["spool", "spool-1", "spool-2", "spool-3"],
    );
    assert.throws(() => takeSpoolSlot(dir, lock), /every spool slot of .*state-a \(4\) is held by a running agent/);
  });

  it("frees a slot when its agent dies, however it dies", async () => {
    const dir = path.join(scratch.dir, "state-b");
    const binding = path.resolve(__dirname, "..", "..", "..", "src", "native", "binding.js");
    const slots = path.resolve(__dirname, "..", "..", "..", "src", "report", "spool", "spoolSlot.js");
    const script = `const b = require(${JSON.stringify(binding)}).nativeBinding();
      const s = require(${JSON.stringify(slots)}).takeSpoolSlot(${JSON.stringify(dir)}, (f) => b.holdFileLock(f));
      console.log(s.slot); setInterval(() => {}, 1000);`;
    const other = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    const first = await new Promise<string>((resolve) =>
      readline.createInterface({ input: other.stdout }).once("line", resolve),
    );
    assert.equal(first, "0");
    assert.equal(takeSpoolSlot(dir, lock).slot, 1, "slot 0 is held by the other agent");
    other.kill("SIGKILL");
    await new Promise((resolve) => other.once("exit", resolve));
    assert.equal(takeSpoolSlot(dir, lock).slot, 0, "the killed agent's slot is free again");
  });
});
