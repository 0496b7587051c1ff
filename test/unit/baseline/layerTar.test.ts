import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { readLayerTar } from "../../../src/baseline/tar/layerTar";
import { BaselineError, type BaselineLimits, type LayerManifest } from "../../../src/baseline/types";
import { walkLayerDir } from "../../../src/baseline/walkLayerDir";
import { ELF_HEAD, TempDirs, sha256, testLimits, writeFile } from "./fixtures";
import { chunked, entry, header, paxEntry, tarOf, END } from "./tarBytes";

function read(data: Buffer, limits: Partial<BaselineLimits> = {}, chunkSize = 333): Promise<LayerManifest> {
  return readLayerTar(chunked(data, chunkSize), "test.tar", { limits: testLimits(limits) });
}

async function rejectsWith(promise: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  const started = Date.now();
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BaselineError, `expected a BaselineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (text) assert.match(error.message, text);
    return true;
  });
  assert.ok(Date.now() - started < 2000, "a hostile archive must fail fast");
}

describe("readLayerTar on archives made by the system tar", () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  function sampleTree(): string {
    const dir = temp.make("tartree");
    const elf = Buffer.concat([ELF_HEAD, Buffer.alloc(70000, 3)]);
    writeFile(dir, "bin/tool", elf, 0o755);
    writeFile(dir, "lib/not-exec.so", elf, 0o644);
    writeFile(dir, "etc/conf", "a=b\n");
    writeFile(dir, "run.sh", "#!/bin/sh\n", 0o644);
    writeFile(dir, "etc/.wh.removed", "");
    writeFile(dir, "var/.wh..wh..opq", "");
    const long = "d".repeat(90) + "/" + "e".repeat(90) + "/" + "f".repeat(120);
    writeFile(dir, `${long}/prog`, "#!/bin/sh\nlong\n", 0o755);
    fs.linkSync(path.join(dir, "bin/tool"), path.join(dir, "bin/tool-hardlink"));
    fs.symlinkSync("../../../../etc/shadow", path.join(dir, "bin/escape"));
    execFileSync("mkfifo", [path.join(dir, "fifo")]);
    return dir;
  }

  for (const format of ["gnu", "pax", "posix"]) {
    it(`reads --format=${format} exactly as the directory walk reads the tree`, async () => {
      const dir = sampleTree();
      const tar = path.join(temp.make("tarfile"), "layer.tar");
      execFileSync("tar", [`--format=${format}`, "-C", dir, "-cf", tar, "."]);
      const fromTar = await read(fs.readFileSync(tar));
      const fromDir = await walkLayerDir(dir, { limits: testLimits() });
      assert.deepEqual({ ...fromTar, source: "", stats: undefined }, { ...fromDir, source: "", stats: undefined });
      assert.equal(
        fromTar.files.find((f) => f.path === "/bin/tool-hardlink")?.sha256,
        sha256(fs.readFileSync(path.join(dir, "bin/tool"))),
      );
      assert.deepEqual(fromTar.whiteouts, ["/etc/removed"]);
      assert.deepEqual(fromTar.opaqueDirs, ["/var"]);
      assert.equal(fromTar.stats.programs, fromDir.stats.programs);
    });
  }

  it("joins the ustar prefix and name fields of a long path", async () => {
    const dir = temp.make("tartree");
    const rel = `${"a".repeat(80)}/${"b".repeat(80)}/prog`;
    writeFile(dir, rel, "#!/bin/sh\n", 0o755);
    const tar = path.join(temp.make("tarfile"), "layer.tar");
    execFileSync("tar", ["--format=ustar", "-C", dir, "-cf", tar, rel]);
    assert.ok(
      !fs
        .readFileSync(tar)
        .subarray(0, 512 * 8)
        .includes("PaxHeader"),
      "ustar must not need pax here",
    );
    const m = await read(fs.readFileSync(tar));
    assert.deepEqual(
      m.files.map((f) => [f.path, f.sha256]),
      [[`/${rel}`, sha256("#!/bin/sh\n")]],
    );
  });

  it("gives the same manifest whatever the chunk size", async () => {
    const dir = sampleTree();
    const tar = path.join(temp.make("tarfile"), "layer.tar");
    execFileSync("tar", ["--format=pax", "-C", dir, "-cf", tar, "."]);
    const data = fs.readFileSync(tar);
    const whole = await read(data, {}, data.length);
    assert.deepEqual(await read(data, {}, 1), whole);
    assert.deepEqual(await read(data, {}, 511), whole);
  });
});

describe("readLayerTar on hostile bytes", () => {
  const file = (name: string, data = "x", mode = 0o644) => entry({ name, mode }, data);

  it("refuses a bad header checksum", async () => {
    const bad = Buffer.concat([header({ name: "a", checksum: 1234 }), END]);
    await rejectsWith(read(bad), "BAD_ARCHIVE", /checksum mismatch/);
    await rejectsWith(read(Buffer.alloc(4096, 0x41)), "BAD_ARCHIVE");
  });

  it("refuses a truncated archive, inside data and inside a header", async () => {
    const whole = tarOf(file("a", "y".repeat(2000)));
    await rejectsWith(read(whole.subarray(0, 1000)), "BAD_ARCHIVE", /truncated/);
    await rejectsWith(read(whole.subarray(0, 300)), "BAD_ARCHIVE", /truncated.*header/);
  });

  it("never trusts a huge declared size: fails as truncated without allocating it", async () => {
    const huge = Buffer.concat([header({ name: "big", size: 0o77777777777 }), Buffer.alloc(4096)]);
    await rejectsWith(read(huge), "BAD_ARCHIVE", /truncated/);
    const paxHuge = Buffer.concat([
      paxEntry({ size: String(2 ** 52) }),
      header({ name: "big", mode: 0o755 }),
      Buffer.alloc(4096),
    ]);
    await rejectsWith(read(paxHuge), "BAD_ARCHIVE", /truncated/);
  });

  it("refuses negative, unsafe and non-octal sizes", async () => {
    const negative = Buffer.alloc(12, 0xff);
    await rejectsWith(read(tarOf(header({ name: "n", sizeField: negative }))), "BAD_ARCHIVE", /negative/);
    const tooLarge = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(11, 0xff)]);
    await rejectsWith(read(tarOf(header({ name: "l", sizeField: tooLarge }))), "BAD_ARCHIVE", /too large/);
    await rejectsWith(
      read(tarOf(header({ name: "o", sizeField: Buffer.from("00000000009\0") }))),
      "BAD_ARCHIVE",
      /non-octal/,
    );
    await rejectsWith(read(tarOf(paxEntry({ size: "-5" }), file("p"))), "BAD_ARCHIVE", /bad size/);
  });

  it("accepts a base-256 size", async () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size.writeUInt32BE(3, 8);
    const m = await read(Buffer.concat([header({ name: "b", sizeField: size }), Buffer.alloc(512, 0x61), END]));
    assert.equal(m.files[0].size, 3);
  });

  it("refuses names that climb out of the root, normalises the rest", async () => {
    await rejectsWith(read(tarOf(file("../etc/passwd"))), "UNSAFE_PATH", /escapes/);
    await rejectsWith(read(tarOf(file("a/../../etc/passwd"))), "UNSAFE_PATH");
    await rejectsWith(read(tarOf(paxEntry({ path: "../../x" }), file("harmless"))), "UNSAFE_PATH");
    await rejectsWith(read(tarOf(file("x"), entry({ name: "h", type: "1", linkname: "../../x" }))), "UNSAFE_PATH");
    const m = await read(tarOf(file("/etc/abs"), file("./a/../b"), file("c//d/./e")));
    assert.deepEqual(
      m.files.map((f) => f.path),
      ["/b", "/c/d/e", "/etc/abs"],
    );
  });

  it("records symlinks pointing outside without following them, refuses entries below them", async () => {
    const link = entry({ name: "evil", type: "2", linkname: "/etc" });
    const m = await read(tarOf(link, entry({ name: "up", type: "2", linkname: "../../../../" })));
    assert.deepEqual(m.specials, [
      { path: "/evil", kind: "symlink" },
      { path: "/up", kind: "symlink" },
    ]);
    await rejectsWith(read(tarOf(link, file("evil/passwd"))), "UNSAFE_PATH", /below the symlink \/evil/);
    await rejectsWith(read(tarOf(file("f"), file("f/g"))), "UNSAFE_PATH", /below the regular file/);
  });

  it("records FIFOs and devices, reads a 0/0 char device as a whiteout", async () => {
    const m = await read(
      tarOf(
        entry({ name: "fifo", type: "6" }),
        entry({ name: "null", type: "3", devmajor: 1, devminor: 3 }),
        entry({ name: "sda", type: "4", devmajor: 8, devminor: 0 }),
        entry({ name: "gone", type: "3" }),
      ),
    );
    assert.deepEqual(
      m.specials.map((s) => `${s.kind} ${s.path}`),
      ["fifo /fifo", "device /null", "device /sda"],
    );
    assert.deepEqual(m.whiteouts, ["/gone"]);
  });

  it("stops deep nesting, long paths and too many entries with their codes", async () => {
    const deep = Array.from({ length: 40 }, () => "d").join("/");
    await rejectsWith(read(tarOf(paxEntry({ path: deep }), file("x")), { maxDepth: 32 }), "TOO_DEEP");
    await rejectsWith(read(tarOf(paxEntry({ path: "p".repeat(5000) }), file("x"))), "PATH_TOO_LONG");
    const many = tarOf(...Array.from({ length: 50 }, (_, i) => file(`f${i}`)));
    await rejectsWith(read(many, { maxEntries: 20 }), "TOO_MANY_ENTRIES");
    assert.equal((await read(many, { maxEntries: 50 })).files.length, 50);
  });

  it("refuses oversized metadata, sparse files, unknown types and bad hardlinks", async () => {
    await rejectsWith(
      read(Buffer.concat([header({ name: "x", type: "x", size: 2 * 1024 * 1024 }), END])),
      "BAD_ARCHIVE",
      /exceeds/,
    );
    await rejectsWith(read(tarOf(entry({ name: "s", type: "S" }))), "BAD_ARCHIVE", /sparse/);
    await rejectsWith(read(tarOf(paxEntry({ "GNU.sparse.major": "1" }), file("s"))), "BAD_ARCHIVE", /sparse/);
    await rejectsWith(read(tarOf(entry({ name: "z", type: "Z" }))), "BAD_ARCHIVE", /unsupported tar entry type "Z"/);
    await rejectsWith(read(tarOf(entry({ name: "h", type: "1", linkname: "missing" }))), "BAD_ARCHIVE", /hardlink/);
    await rejectsWith(
      read(tarOf(entry({ name: "d", type: "5" }), entry({ name: "h", type: "1", linkname: "d" }))),
      "BAD_ARCHIVE",
    );
    await rejectsWith(read(Buffer.concat([file("a"), Buffer.alloc(512), file("b"), END])), "BAD_ARCHIVE", /zero block/);
    await rejectsWith(read(tarOf(paxEntry({ path: "x" }))), "BAD_ARCHIVE", /follows a pax/);
    await rejectsWith(
      read(Buffer.concat([entry({ name: "p", type: "x" }, "99 path=x\n"), file("a"), END])),
      "BAD_ARCHIVE",
      /record length/,
    );
  });

  it("hashes programs in-stream, sniffing files without an exec bit", async () => {
    const elf = Buffer.concat([ELF_HEAD, Buffer.alloc(1500, 9)]);
    const m = await read(
      tarOf(
        file("bin/exec", "not magic", 0o755),
        file("lib/elf", elf.toString("latin1"), 0o644),
        file("etc/tiny", "#", 0o644),
        file("etc/data", "data", 0o644),
        file("big", "B".repeat(3000), 0o755),
        file("empty-exec", "", 0o755),
      ),
      { maxHashBytes: 2048 },
    );
    const byPath = new Map(m.files.map((f) => [f.path, f]));
    assert.equal(byPath.get("/bin/exec")?.sha256, sha256("not magic"));
    assert.equal(byPath.get("/lib/elf")?.sha256, sha256(Buffer.from(elf.toString("latin1"), "latin1")));
    assert.equal(byPath.get("/lib/elf")?.program, "elf");
    assert.equal(byPath.get("/etc/tiny")?.sha256, undefined);
    assert.equal(byPath.get("/etc/data")?.sha256, undefined);
    assert.equal(byPath.get("/big")?.sha256, undefined);
    assert.equal(byPath.get("/empty-exec")?.sha256, sha256(""));
    assert.equal(m.stats.oversized, 1);
    assert.equal(byPath.get("/bin/exec")?.mode, 0o100755);
  });

  it("lets a later entry at a path replace an earlier one", async () => {
    const m = await read(tarOf(file("a", "one", 0o755), file("a", "two", 0o755)));
    assert.deepEqual(
      m.files.map((f) => f.sha256),
      [sha256("two")],
    );
  });
});
