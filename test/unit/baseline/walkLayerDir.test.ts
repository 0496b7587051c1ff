import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { BaselineError, type LayerManifest } from "../../../src/baseline/types";
import { walkLayerDir } from "../../../src/baseline/walkLayerDir";
import { ELF_HEAD, TempDirs, setXattr, sha256, testLimits, writeFile } from "./fixtures";

function fileAt(manifest: LayerManifest, p: string): LayerManifest["files"][number] | undefined {
  return manifest.files.find((f) => f.path === p);
}

async function rejectsWith(promise: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BaselineError, `expected a BaselineError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (text) assert.match(error.message, text);
    return true;
  });
}

describe("walkLayerDir", () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it("records files with absolute image paths, hashes programs only", async () => {
    const dir = temp.make("walk");
    const elf = Buffer.concat([ELF_HEAD, Buffer.alloc(5000, 7)]);
    writeFile(dir, "bin/tool", elf, 0o755);
    writeFile(dir, "usr/lib/hidden-elf", elf, 0o644); // ELF without exec bit: still hashed
    writeFile(dir, "etc/script", "#!/bin/sh\necho\n", 0o600);
    writeFile(dir, "etc/config", "key=value\n", 0o644);
    writeFile(dir, "bin/exec-text", "plain text", 0o700);
    writeFile(dir, "empty", "", 0o644);
    fs.symlinkSync("/etc/shadow", path.join(dir, "bin/link"));
    const m = await walkLayerDir(dir, { limits: testLimits() });
    assert.deepEqual(fileAt(m, "/bin/tool"), {
      path: "/bin/tool",
      mode: 0o100755,
      size: elf.length,
      sha256: sha256(elf),
      program: "elf",
    });
    assert.equal(fileAt(m, "/usr/lib/hidden-elf")?.sha256, sha256(elf));
    assert.equal(fileAt(m, "/etc/script")?.program, "script");
    assert.equal(fileAt(m, "/etc/script")?.sha256, sha256("#!/bin/sh\necho\n"));
    assert.equal(fileAt(m, "/etc/config")?.sha256, undefined);
    assert.equal(fileAt(m, "/bin/exec-text")?.sha256, sha256("plain text"));
    assert.equal(fileAt(m, "/empty")?.size, 0);
    assert.deepEqual(
      m.specials.map((s) => `${s.kind} ${s.path}`),
      ["dir /bin", "symlink /bin/link", "dir /etc", "dir /usr", "dir /usr/lib"],
    );
    assert.equal(m.stats.programs, 4);
    assert.equal(m.stats.hashedBytes, 2 * elf.length + 15 + 10);
    assert.equal(m.stats.entries, 11);
  });

  it("reads .wh. whiteouts and .wh..wh..opq opaque markers of non-overlay snapshotters", async () => {
    const dir = temp.make("walk");
    writeFile(dir, "etc/.wh.passwd", "");
    writeFile(dir, "var/.wh..wh..opq", "");
    writeFile(dir, "var/.wh..wh.plnk", ""); // aufs bookkeeping: ignored
    writeFile(dir, "var/new", "x");
    const m = await walkLayerDir(dir, { limits: testLimits() });
    assert.deepEqual(m.whiteouts, ["/etc/passwd"]);
    assert.deepEqual(m.opaqueDirs, ["/var"]);
    assert.deepEqual(
      m.files.map((f) => f.path),
      ["/var/new"],
    );
  });

  it("records a file over maxHashBytes without a hash and counts it", async () => {
    const dir = temp.make("walk");
    writeFile(dir, "big-elf", Buffer.concat([ELF_HEAD, Buffer.alloc(2000)]), 0o644);
    writeFile(dir, "big-exec", Buffer.alloc(3000, 1), 0o755);
    writeFile(dir, "big-data", Buffer.alloc(3000, 1), 0o644);
    const m = await walkLayerDir(dir, { limits: testLimits({ maxHashBytes: 1024 }) });
    assert.deepEqual(fileAt(m, "/big-elf"), { path: "/big-elf", mode: 0o100644, size: 2008, program: "elf" });
    assert.equal(fileAt(m, "/big-exec")?.sha256, undefined);
    assert.equal(m.stats.oversized, 2);
    assert.equal(m.stats.hashedBytes, 0);
  });

  it("stops at maxEntries, maxDepth and maxPathBytes with their codes", async () => {
    const dir = temp.make("walk");
    for (let i = 0; i < 20; i++) writeFile(dir, `many/f${i}`, "x");
    await rejectsWith(
      walkLayerDir(dir, { limits: testLimits({ maxEntries: 10 }) }),
      "TOO_MANY_ENTRIES",
      /maxEntries 10/,
    );
    const deep = temp.make("walk");
    fs.mkdirSync(path.join(deep, ...Array.from({ length: 12 }, () => "d")), { recursive: true });
    await rejectsWith(walkLayerDir(deep, { limits: testLimits({ maxDepth: 8 }) }), "TOO_DEEP", /9 directories deep/);
    await rejectsWith(walkLayerDir(deep, { limits: testLimits({ maxPathBytes: 15 }) }), "PATH_TOO_LONG");
    // Within the limits the same trees are fine.
    assert.equal((await walkLayerDir(deep, { limits: testLimits({ maxDepth: 12 }) })).specials.length, 12);
  });

  it("refuses a path that is not a directory", async () => {
    const dir = temp.make("walk");
    writeFile(dir, "file", "x");
    fs.symlinkSync(dir, path.join(dir, "link"));
    await rejectsWith(walkLayerDir(path.join(dir, "file"), { limits: testLimits() }), "NOT_A_DIRECTORY");
    await rejectsWith(walkLayerDir(path.join(dir, "link"), { limits: testLimits() }), "NOT_A_DIRECTORY", /symlinks/);
    await rejectsWith(walkLayerDir(path.join(dir, "missing"), { limits: testLimits() }), "NOT_A_DIRECTORY");
  });

  it("fails with IO_ERROR naming a file that vanishes during the walk", async () => {
    const dir = temp.make("walk");
    for (let i = 0; i < 200; i++) writeFile(dir, `d/f${i}`, Buffer.concat([ELF_HEAD, Buffer.alloc(100)]), 0o755);
    // Remove files while the walk runs, from the hash limiter's first job.
    let removed = false;
    const limiter = async <T>(job: () => Promise<T>): Promise<T> => {
      if (!removed) {
        removed = true;
        for (let i = 100; i < 200; i++) fs.rmSync(path.join(dir, `d/f${i}`));
      }
      return job();
    };
    await rejectsWith(walkLayerDir(dir, { limits: testLimits(), hashLimiter: limiter }), "IO_ERROR", /vanished/);
  });
});

describe("walkLayerDir @root", () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it("reads overlay whiteouts (0/0 char devices) and opaque xattrs, never opening devices or FIFOs", async function () {
    if (process.getuid?.() !== 0) this.skip();
    const dir = temp.make("walk");
    fs.mkdirSync(path.join(dir, "etc"));
    execFileSync("mknod", [path.join(dir, "etc/passwd"), "c", "0", "0"]);
    execFileSync("mknod", [path.join(dir, "null"), "c", "1", "3"]);
    execFileSync("mknod", [path.join(dir, "blk"), "b", "7", "0"]);
    execFileSync("mkfifo", [path.join(dir, "fifo")]);
    fs.mkdirSync(path.join(dir, "var"));
    setXattr(path.join(dir, "var"), "trusted.overlay.opaque", "y");
    fs.mkdirSync(path.join(dir, "opt"));
    setXattr(path.join(dir, "opt"), "user.overlay.opaque", "y");
    fs.mkdirSync(path.join(dir, "srv"));
    setXattr(path.join(dir, "srv"), "trusted.overlay.opaque", "x"); // not "y": not opaque
    writeFile(dir, "var/kept", "x");
    // A FIFO opened for reading would block the walk forever: it finishes, so none was opened.
    const m = await walkLayerDir(dir, { limits: testLimits() });
    assert.deepEqual(m.whiteouts, ["/etc/passwd"]);
    assert.deepEqual(m.opaqueDirs, ["/opt", "/var"]);
    assert.deepEqual(
      m.specials.filter((s) => s.kind !== "dir").map((s) => `${s.kind} ${s.path}`),
      ["device /blk", "fifo /fifo", "device /null"],
    );
    assert.deepEqual(
      m.files.map((f) => f.path),
      ["/var/kept"],
    );
  });
});
