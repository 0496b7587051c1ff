// End to end: the built CLI, spawned as a user runs it.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import type { BuiltImage } from "../../testbed/ociImage";
import { TempDirs, sha256 } from "./fixtures";
import { threeLayerImage } from "./ociImages";

const MAIN = path.resolve(__dirname, "../../../src/cli/main.js");

function driftguard(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, "baseline", ...args], { encoding: "utf8", timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("driftguard baseline (CLI)", () => {
  const temp = new TempDirs();
  let work: string;
  let image: BuiltImage;
  let dirs: string[];
  before(() => {
    work = temp.make("cli");
    image = threeLayerImage(work);
    dirs = image.layerTars.map((tar, i) => path.join(path.dirname(tar), `layer${i}`));
  });
  after(() => temp.cleanup());

  it("prints a summary of an image archive", () => {
    const r = driftguard(image.archive);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^image: +test\/three:1$/m);
    assert.match(r.stdout, new RegExp(`^manifest: +${image.manifestDigest}$`, "m"));
    assert.match(r.stdout, /^layers: +3 \(0 from cache\)$/m);
    assert.match(r.stdout, /^files: +3$/m); // busybox, app/run, etc/hosts
    assert.match(r.stdout, /^programs: +2$/m);
    assert.match(r.stdout, /^hashed: +[0-9.]+ MiB$/m);
    assert.match(r.stdout, /^time: +[0-9.]+ s$/m);
    assert.equal(r.stderr, "", "no progress output when stderr is not a terminal");
  });

  it("prints the merged manifest as JSON, the same for the archive and its layer dirs", () => {
    const fromArchive = driftguard(image.archive, "--json");
    const fromDirs = driftguard(...dirs, "--json");
    assert.equal(fromArchive.status, 0, fromArchive.stderr);
    assert.equal(fromDirs.status, 0, fromDirs.stderr);
    const a = JSON.parse(fromArchive.stdout);
    const d = JSON.parse(fromDirs.stdout);
    assert.deepEqual(a.files, d.files);
    assert.deepEqual(a.layers, image.layerDigests);
    const busybox = a.files.find((f: { path: string }) => f.path === "/bin/busybox");
    assert.deepEqual(busybox, {
      path: "/bin/busybox",
      mode: 0o100755,
      size: fs.statSync("/bin/busybox").size,
      executable: true,
      sha256: sha256(fs.readFileSync("/bin/busybox")),
      program: "elf",
    });
  });

  it("uses the layer cache of --state-dir", () => {
    const stateDir = path.join(work, "state");
    assert.equal(driftguard(image.archive, "--state-dir", stateDir).status, 0);
    const again = driftguard(image.archive, "--state-dir", stateDir);
    assert.match(again.stdout, /^layers: +3 \(3 from cache\)$/m);
    assert.match(again.stdout, /^hashed: +0 B$/m);
  });

  it("exits 1 with the error code and the input on bad input", () => {
    const notTar = path.join(work, "garbage.tar");
    fs.writeFileSync(notTar, Buffer.alloc(2048, 0x47));
    const bad = driftguard(notTar);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`^driftguard baseline: BAD_ARCHIVE: ${notTar}: .*checksum`, "m"));
    assert.equal(bad.stdout, "");
    const many = driftguard(...dirs, "--max-entries", "5");
    assert.equal(many.status, 1);
    assert.match(many.stderr, /TOO_MANY_ENTRIES: .*maxEntries 5/);
    const missing = driftguard(path.join(work, "no-such-dir"));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /NOT_A_DIRECTORY: /);
  });

  it("exits 2 with the usage on usage errors", () => {
    for (const args of [[], [image.archive, "--max-entries", "many"], [image.archive, "--frobnicate"]]) {
      const r = driftguard(...args);
      assert.equal(r.status, 2, `args ${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /usage: driftguard baseline/);
    }
  });
});
