// The native calls the walks use (native/util/OpenBeneath, native/fs/DirStreamWrap):
// nothing outside the root, no symlink and no magic link at any component, in both
// mechanisms (openat2, and the O_NOFOLLOW walk used where openat2 is refused).
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { DIR_STAT_STRIDE } from "../../../src/native/fsBinding";
import { nativeTestBinding } from "../../testbed/nativeTestBinding";
import { ELF_HEAD, TempDirs, sha256, writeFile } from "../baseline/fixtures";

// The test build: the shipped functions, and beneathMode to force the fallback.
const native = () => nativeTestBinding();

async function hashRejects(root: string, rel: string, code: RegExp): Promise<void> {
  await assert.rejects(native().hashFileBeneath(root, rel, { maxBytes: 1 << 20 }), (error: NodeJS.ErrnoException) => {
    assert.match(String(error.code), code, `${rel}: ${error.message}`);
    return true;
  });
}

function openRejects(root: string, rel: string, code: RegExp): void {
  assert.throws(
    () => new (native().DirStream)(root, rel),
    (error: NodeJS.ErrnoException) => {
      assert.match(String(error.code), code, `${rel}: ${error.message}`);
      return true;
    },
  );
}

for (const mode of ["openat2", "component-walk"] as const) {
  describe(`openBeneath (${mode})`, () => {
    const temp = new TempDirs();
    let before: "openat2" | "component-walk";
    let root: string;
    let outside: string;
    beforeEach(() => {
      before = native().beneathMode();
      assert.equal(native().beneathMode(mode), mode);
      root = temp.make("beneath");
      outside = temp.make("outside");
      writeFile(root, "d/prog", Buffer.concat([ELF_HEAD, Buffer.alloc(100)]), 0o755);
      writeFile(outside, "secret", "outside");
      fs.symlinkSync(outside, path.join(root, "abs")); // absolute
      fs.symlinkSync(path.relative(root, outside), path.join(root, "rel")); // relative, leaving the root
      fs.symlinkSync("d", path.join(root, "inside")); // relative, staying inside
      fs.symlinkSync("prog", path.join(root, "d", "last")); // as the last component
    });
    afterEach(() => {
      native().beneathMode(before);
      temp.cleanup();
    });

    it("opens files and directories beneath the root", async () => {
      const file = await native().hashFileBeneath(root, "d/prog", { maxBytes: 1 << 20 });
      assert.equal(file.sha256, sha256(fs.readFileSync(path.join(root, "d/prog"))));
      const dir = new (native().DirStream)(root, "d");
      const slice = dir.read(10);
      dir.close();
      assert.deepEqual(slice?.names.sort(), ["last", "prog"]);
    });

    it("follows no symlink at any component, not even one that stays inside", async () => {
      for (const rel of ["abs/secret", "rel/secret", "inside/prog"]) await hashRejects(root, rel, /ELOOP|ENOTDIR/);
      // As the last component, the link itself is what opens (O_PATH | O_NOFOLLOW): not a regular file.
      await assert.rejects(
        native().hashFileBeneath(root, "d/last", { maxBytes: 1 << 20 }),
        /d\/last: not a regular file/,
      );
      for (const rel of ["abs", "rel", "inside", "abs/", "inside/."]) openRejects(root, rel, /ELOOP|ENOTDIR/);
    });

    it("never leaves the root through ..", async () => {
      const up = path.relative(root, outside);
      await hashRejects(root, `${up}/secret`, /EXDEV/);
      await hashRejects(root, `d/../../${path.basename(outside)}/secret`, /EXDEV/);
      openRejects(root, "..", /EXDEV/);
    });

    it("crosses no magic link (/proc/self/root)", async () => {
      await hashRejects("/proc/self", "root/etc/hostname", /ELOOP|ENOTDIR/);
      openRejects("/proc/self", "root/etc", /ELOOP|ENOTDIR/);
    });

    it("refuses a root that is itself a symlink", () => {
      openRejects(path.join(root, "abs"), "", /ENOTDIR|ELOOP/);
    });
  });
}

describe("DirStream", () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it("reads in slices, with each entry's lstat taken relative to the open directory", () => {
    const root = temp.make("dirstream");
    for (let i = 0; i < 5; i++) writeFile(root, `f${i}`, "x".repeat(i));
    fs.symlinkSync("f1", path.join(root, "link"));
    execFileSync("mkfifo", [path.join(root, "fifo")]);
    const stream = new (native().DirStream)(root, "");
    const seen = new Map<string, { mode: number; size: number; errno: number }>();
    let slices = 0;
    for (let slice = stream.read(3); slice !== null; slice = stream.read(3)) {
      assert.ok(slice.names.length <= 3);
      slices++;
      slice.names.forEach((name, i) => {
        const at = i * DIR_STAT_STRIDE;
        seen.set(name, { mode: slice.stats[at], size: slice.stats[at + 1], errno: slice.stats[at + 3] });
      });
    }
    stream.close();
    assert.equal(slices, 3);
    assert.deepEqual([...seen.keys()].sort(), ["f0", "f1", "f2", "f3", "f4", "fifo", "link"]);
    assert.equal(seen.get("f3")?.size, 3);
    assert.equal(seen.get("link")!.mode & fs.constants.S_IFMT, fs.constants.S_IFLNK, "lstat, not stat");
    assert.equal(seen.get("fifo")!.mode & fs.constants.S_IFMT, fs.constants.S_IFIFO);
    assert.throws(() => stream.read(3), /already closed/);
  });

  it("flags a name that is not UTF-8 instead of naming another file", () => {
    const root = temp.make("dirstream");
    execFileSync("python3", [
      "-c",
      "import os,sys; open(os.path.join(sys.argv[1].encode(), b'bad\\xff'), 'w').close()",
      root,
    ]);
    const stream = new (native().DirStream)(root, "");
    const slice = stream.read(10);
    stream.close();
    assert.deepEqual(slice?.names, [""]);
    assert.equal(slice?.stats[0], 0, "no mode");
    assert.equal(slice?.stats[3], 84, "EILSEQ");
  });

  it("reads the opaque xattr of the directory itself", () => {
    const root = temp.make("dirstream");
    fs.mkdirSync(path.join(root, "o"));
    execFileSync("python3", [
      "-c",
      "import os,sys; os.setxattr(sys.argv[1], 'user.overlay.opaque', b'y')",
      path.join(root, "o"),
    ]);
    const stream = new (native().DirStream)(root, "o");
    assert.equal(stream.xattr("user.overlay.opaque")?.toString(), "y");
    assert.equal(stream.xattr("user.overlay.other"), null);
    stream.close();
  });
});

describe("hashFileBeneath", () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it("sniffs without hashing when asked, and refuses a file over maxBytes otherwise", async () => {
    const root = temp.make("hash");
    writeFile(root, "big", Buffer.concat([ELF_HEAD, Buffer.alloc(5000)]), 0o755);
    const sniffed = await native().hashFileBeneath(root, "big", { maxBytes: 1000, sniffOnly: true });
    assert.deepEqual([sniffed.sha256, sniffed.program], [null, "elf"]);
    await assert.rejects(native().hashFileBeneath(root, "big", { maxBytes: 1000 }), /larger than the hash limit/);
    const data = await native().hashFileBeneath(root, "big", { maxBytes: 1 << 20, onlyIfProgram: true });
    assert.equal(data.sha256, sha256(fs.readFileSync(path.join(root, "big"))));
  });
});
