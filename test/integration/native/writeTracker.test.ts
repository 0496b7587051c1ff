// The native write tracker on a tmpfs of its own (no other writer on the machine reaches
// it): the last writer of each file, a table bounded by its capacity (the least recently
// written forgotten first), and the host mount namespace's own writes ignored.
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { nativeBinding } from "../../../src/native/binding";
import type { NativeWriteTracker } from "../../../src/native/writeTrackerBinding";

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("WriteTracker @root", () => {
  let dir: string;
  let tracker: NativeWriteTracker | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dg-writes-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m", "dg-writes", dir]);
  });
  afterEach(() => {
    tracker?.close();
    tracker = undefined;
    execFileSync("umount", [dir]);
    fs.rmdirSync(dir);
  });

  function start(hostMountNamespace: number, capacity: number): NativeWriteTracker {
    tracker = new (nativeBinding().WriteTracker)({ hostMountNamespace, capacity });
    tracker.markFilesystem(dir);
    tracker.start();
    return tracker;
  }

  it("names the last writer and forgets the least recently written beyond its capacity", async () => {
    const t = start(0, 2);
    const before = Date.now();
    for (const name of ["a", "b", "c"]) execFileSync("cp", ["/bin/busybox", path.join(dir, name)]);
    execFileSync("sh", ["-c", `echo more >> ${path.join(dir, "b")}`]);
    await settle();
    assert.equal(t.writerOf(path.join(dir, "a")), null, "evicted");
    const c = t.writerOf(path.join(dir, "c"))!;
    assert.ok(c && c.pid > 0 && c.timeMs >= before && c.timeMs <= Date.now());
    assert.ok(c.exe === "" || c.exe.endsWith("/cp"), c.exe);
    const b = t.writerOf(path.join(dir, "b"))!;
    assert.ok(b.pid !== c.pid, "b's last writer is the shell that appended, not cp");
    assert.notEqual(path.basename(b.exe), "cp", b.exe);
    const stats = t.stats();
    assert.equal(stats.tracked, 2);
    assert.ok(stats.evicted >= 1);
    assert.equal(t.writerOf(path.join(dir, "missing")), null);
  });

  it("names the creator of a file as soon as it is created, before any write (FAN_CREATE)", async () => {
    const t = start(0, 16);
    const file = path.join(dir, "created");
    // Opened for writing and held: no FAN_MODIFY, and FAN_CLOSE_WRITE only when it exits.
    // (`read` is a builtin: no child process inherits the descriptor and keeps the tmpfs busy.)
    const child = spawn("sh", ["-c", `exec 3>${file}; read x`], { stdio: ["pipe", "ignore", "ignore"] });
    try {
      await settle();
      const w = t.writerOf(file);
      assert.ok(w, "the creator, while it has not written a byte");
      assert.equal(w.pid, child.pid);
      assert.ok(w.exe.endsWith("sh"), w.exe);
    } finally {
      child.kill();
      await new Promise((resolve) => child.once("exit", resolve));
    }
  });

  it("ignores the writes of the host mount namespace's processes", async () => {
    const t = start(fs.statSync("/proc/self/ns/mnt").ino, 16);
    // The writer stays alive until the tracker saw it: one already gone when its event is
    // read cannot be told from a container's process, and is kept (by design).
    const write = async (wrapper: string[], file: string) => {
      const script = `printf '%s' written > ${file}; read x`; // printf: the shell itself writes
      const child = spawn(wrapper[0] ?? "sh", [...wrapper.slice(1), ...(wrapper.length ? ["sh"] : []), "-c", script], {
        stdio: ["pipe", "ignore", "ignore"],
      });
      try {
        await settle();
      } finally {
        child.kill();
        await new Promise((resolve) => child.once("exit", resolve));
      }
    };
    await write([], path.join(dir, "host-written"));
    assert.equal(t.writerOf(path.join(dir, "host-written")), null);
    // The same write from another mount namespace (as a container's process) is recorded.
    await write(["unshare", "-m"], path.join(dir, "container-written"));
    assert.ok(t.writerOf(path.join(dir, "container-written")));
  });
});
