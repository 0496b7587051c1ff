// Both walks over trees someone else controls (an image layer, a container's writable
// layer) must never follow a symlink swapped in after readdir. The swap happens at exactly
// that moment through the walks' filesystem seam, which wraps the real native calls: right
// after a directory's listing is complete, the directory (or the one holding the files
// about to be hashed) becomes a symlink to a directory outside the tree, whose files would
// be read (and, for the copy check, trusted) by a walk that follows it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { checkWritableLayerCopies } from "../../../src/agent/writableLayerCopies";
import { beneathFsOf, type BeneathFs } from "../../../src/baseline/beneathFs";
import { BaselineError } from "../../../src/baseline/types";
import { walkLayerDir } from "../../../src/baseline/walkLayerDir";
import { nativeTestBinding } from "../../testbed/nativeTestBinding";
import { ELF_HEAD, TempDirs, setXattr, sha256, testLimits, writeFile } from "./fixtures";

const IMAGE_LIB = Buffer.concat([ELF_HEAD, Buffer.alloc(3000, 1)]);
const OUTSIDE_LIB = Buffer.concat([ELF_HEAD, Buffer.alloc(3000, 2)]);

type Moment = { afterListing: string } | { beforeOpening: string };

// The test build's calls: its mechanism (openat2 or the component walk) is the one forced below.
const testBuildFs = beneathFsOf(nativeTestBinding);

/**
 * The native calls, with `swap` run once at the moment: right after the listing of a
 * directory is complete, or right before a file (listed already) is opened.
 */
function swappingFs(moment: Moment, swap: () => void): BeneathFs & { swapped: boolean } {
  const once = () => {
    if (seam.swapped) return;
    swap();
    seam.swapped = true;
  };
  const seam = {
    swapped: false,
    hashFile(root: string, rel: string, options: Parameters<BeneathFs["hashFile"]>[2]) {
      if ("beforeOpening" in moment && rel === moment.beforeOpening) once();
      return testBuildFs.hashFile(root, rel, options);
    },
    openDir(root: string, rel: string) {
      const stream = testBuildFs.openDir(root, rel);
      return {
        read(max: number) {
          const slice = stream.read(max);
          if (slice === null && "afterListing" in moment && rel === moment.afterListing) once();
          return slice;
        },
        xattr: (name: string) => stream.xattr(name),
        close: () => stream.close(),
      };
    },
  };
  return seam;
}

/** Replaces dir/d by a symlink to `outside`, keeping the real directory as d.moved. */
const swapIn = (dir: string, outside: string) => () => {
  fs.renameSync(path.join(dir, "d"), path.join(dir, "d.moved"));
  fs.symlinkSync(outside, path.join(dir, "d"));
};

// After "" (the root) is listed, the walk opens d; after "d" is listed, it opens d/lib.so.
const MOMENTS: { moment: Moment; what: string }[] = [
  { moment: { afterListing: "" }, what: "a directory swapped after its parent was listed" },
  { moment: { beforeOpening: "d/lib.so" }, what: "the directory of a listed file, swapped before it is opened" },
];

for (const mode of ["openat2", "component-walk"] as const) {
  describe(`walks never follow a symlink swapped in after readdir (${mode})`, () => {
    const temp = new TempDirs();
    let before: "openat2" | "component-walk";
    let outside: string;
    beforeEach(() => {
      before = nativeTestBinding().beneathMode();
      nativeTestBinding().beneathMode(mode);
      outside = temp.make("outside");
      writeFile(outside, "lib.so", OUTSIDE_LIB, 0o755);
      writeFile(outside, "evil", OUTSIDE_LIB, 0o755);
    });
    afterEach(() => {
      nativeTestBinding().beneathMode(before);
      temp.cleanup();
    });

    for (const moment of MOMENTS) {
      it(`the layer walk fails on ${moment.what}`, async () => {
        const layer = temp.make("layer");
        writeFile(layer, "d/lib.so", IMAGE_LIB, 0o755);
        writeFile(layer, "z", "last");
        const seam = swappingFs(moment.moment, swapIn(layer, outside));
        let caught: unknown;
        const manifest = await walkLayerDir(layer, { limits: testLimits(), fs: seam }).catch((e) => (caught = e));
        assert.ok(seam.swapped, "the swap happened");
        assert.ok(caught instanceof BaselineError, `the walk read through the symlink: ${JSON.stringify(manifest)}`);
        assert.equal(caught.code, "IO_ERROR");
        assert.match(caught.message, /:\/d(\/lib\.so)?: vanished or changed type during the walk/);
      });

      it(`the writable-layer copy check skips ${moment.what} and trusts nothing outside`, async () => {
        const upper = temp.make("upper");
        writeFile(upper, "d/lib.so", IMAGE_LIB, 0o755);
        setXattr(path.join(upper, "d/lib.so"), "user.overlay.origin", "x");
        // Outside the layer: a file with the same name, a copy's xattr and the image's content.
        fs.writeFileSync(path.join(outside, "lib.so"), IMAGE_LIB);
        setXattr(path.join(outside, "lib.so"), "user.overlay.origin", "x");
        const digests = new Map([["/d/lib.so", sha256(IMAGE_LIB)]]);
        const seam = swappingFs(moment.moment, swapIn(upper, outside));
        const check = await checkWritableLayerCopies(upper, digests, undefined, seam);
        assert.ok(seam.swapped, "the swap happened");
        const outsideIno = fs.statSync(path.join(outside, "lib.so")).ino;
        assert.deepEqual(
          check.trusted.filter((t) => t.ino === outsideIno),
          [],
          "a file outside the writable layer was hashed and trusted",
        );
        assert.equal(check.copies, 0, "nothing was read through the symlink");
      });
    }

    it("the copy check without a swap trusts the same copy (the tests above could fail)", async () => {
      const upper = temp.make("upper");
      writeFile(upper, "d/lib.so", IMAGE_LIB, 0o755);
      setXattr(path.join(upper, "d/lib.so"), "user.overlay.origin", "x");
      const check = await checkWritableLayerCopies(upper, new Map([["/d/lib.so", sha256(IMAGE_LIB)]]));
      assert.deepEqual(
        check.trusted.map((t) => t.ino),
        [fs.statSync(path.join(upper, "d/lib.so")).ino],
      );
    });
  });
}
