// The check of a writable layer's existing copies (src/agent/writableLayerCopies.ts) on a
// real overlay mount: copies made by chmod and by appending, files created on the writable
// layer, symlinks, FIFOs, and limits. How the eBPF sensor glue uses it: ebpfSensorGlue.test.ts.
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { checkWritableLayerCopies, DEFAULT_COPY_CHECK_LIMITS } from "../../../src/agent/writableLayerCopies";
import { nativeBinding } from "../../../src/native/binding";
import { createOverlayBed, type OverlayBed } from "../../testbed/overlayBed";

import { lowerWithLibraries, sha256, statOf, until } from "./layerCopyBed";

describe("writable-layer copies on a real overlay @root", function () {
  this.timeout(30000);
  let bed: OverlayBed;
  let digests: Map<string, string>;

  beforeEach(() => {
    bed = createOverlayBed(lowerWithLibraries);
    digests = new Map(
      ["/usr/lib/libgood.so", "/usr/lib/libbad.so"].map((p) => [p, sha256(path.join(bed.lowerDir, p))]),
    );
  });
  afterEach(() => bed.remove());

  const merged = (p: string) => path.join(bed.merged, p);

  it("trusts a copy made by chmod and ignores files created on the writable layer", async () => {
    fs.chmodSync(merged("usr/lib/libgood.so"), 0o700); // copy-up, content unchanged
    fs.appendFileSync(merged("etc/app.conf"), "debug on\n"); // a modified copy, but no program
    fs.copyFileSync("/bin/true", merged("tmp/dropped.so")); // new: never trusted without a hash
    fs.symlinkSync("/etc/shadow", merged("tmp/link"));
    execFileSync("mkfifo", [merged("tmp/fifo")]);
    const check = await checkWritableLayerCopies(bed.upperDir, digests);
    assert.equal(check.complete, true, check.problem);
    assert.equal(check.unverifiedCount, 0, check.problem);
    assert.equal(check.copies, 2, "libgood.so and app.conf are copies");
    assert.deepEqual(check.trusted, [statOf(path.join(bed.upperDir, "usr/lib/libgood.so"))]);
  });

  it("reports a copied-up program that differs from the image", async () => {
    fs.chmodSync(merged("usr/lib/libgood.so"), 0o700);
    fs.appendFileSync(merged("usr/lib/libbad.so"), "patched");
    const check = await checkWritableLayerCopies(bed.upperDir, digests);
    assert.equal(check.complete, true);
    assert.equal(check.unverifiedCount, 1);
    assert.deepEqual(check.unverified, ["/usr/lib/libbad.so"]);
    assert.match(check.problem ?? "", /1 copied-up program\(s\) differ.*libbad/);
    assert.equal(check.trusted.length, 1, "the unchanged copy is still trusted");
  });

  it("cannot confirm a copied-up program the image has no digest for", async () => {
    fs.chmodSync(merged("usr/lib/libgood.so"), 0o700);
    const check = await checkWritableLayerCopies(bed.upperDir, new Map());
    assert.deepEqual(check.unverified, ["/usr/lib/libgood.so"]);
    assert.deepEqual(check.trusted, []);
  });

  it("stops at its entry and depth limits and says so", async () => {
    for (let i = 0; i < 10; i++) fs.writeFileSync(merged(`tmp/f${i}`), "x");
    const wide = await checkWritableLayerCopies(bed.upperDir, digests, { ...DEFAULT_COPY_CHECK_LIMITS, maxEntries: 5 });
    assert.equal(wide.complete, false);
    assert.match(wide.problem ?? "", /more than 5 entries/);
    fs.mkdirSync(merged("tmp/a/b/c/d"), { recursive: true });
    const deep = await checkWritableLayerCopies(bed.upperDir, digests, { ...DEFAULT_COPY_CHECK_LIMITS, maxDepth: 3 });
    assert.equal(deep.complete, false);
    assert.match(deep.problem ?? "", /deeper than 3/);
  });

  it("hashFile reads identity and xattrs from the file it opened, and opens no FIFO or device", async () => {
    fs.chmodSync(merged("usr/lib/libgood.so"), 0o700);
    fs.copyFileSync("/bin/true", merged("tmp/dropped.so"));
    const origin = ["trusted.overlay.origin"];
    const copy = await nativeBinding().hashFile(path.join(bed.upperDir, "usr/lib/libgood.so"), 1 << 30, true, origin);
    assert.equal(copy.xattr, "trusted.overlay.origin");
    assert.equal(copy.sha256, digests.get("/usr/lib/libgood.so"));
    assert.deepEqual(
      { dev: copy.dev, ino: copy.ino, ctimeSec: copy.ctimeSec, ctimeNsec: copy.ctimeNsec },
      statOf(path.join(bed.upperDir, "usr/lib/libgood.so")),
    );
    const created = await nativeBinding().hashFile(path.join(bed.upperDir, "tmp/dropped.so"), 1 << 30, true, origin);
    assert.equal(created.xattr, null);
    assert.equal(created.sha256, null, "nothing is read from a file without the xattr");
    // A writer blocks in open(2) until someone opens the FIFO for reading: it must stay blocked.
    const fifo = path.join(bed.upperDir, "tmp", "fifo");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `echo x > '${fifo}'`], { stdio: "ignore" });
    try {
      const wchan = () => fs.readFileSync(`/proc/${writer.pid}/wchan`, "utf8");
      await until(() => wchan() === "wait_for_partner");
      assert.equal(wchan(), "wait_for_partner", "the writer waits in open(2) for a reader");
      await assert.rejects(nativeBinding().hashFile(fifo, 1 << 30), /not a regular file/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Still waiting: neither exited nor killed by SIGPIPE after a reader came and went.
      assert.deepEqual([writer.exitCode, writer.signalCode], [null, null], "the FIFO was never opened for reading");
    } finally {
      writer.kill();
    }
    await assert.rejects(nativeBinding().hashFile("/dev/null", 1 << 30), /not a regular file/);
  });
});
