import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

import { BaselineBuilder, type BaselineResult } from "../../../src/baseline/BaselineBuilder";
import { BaselineError } from "../../../src/baseline/types";
import { rootLogger } from "../../../src/log/logger";
import { tarDirectory, type BuiltImage } from "../../testbed/ociImage";
import { TempDirs, sha256 } from "./fixtures";
import { corruptedLayer, dockerSave, gzip, multiPlatform, recompressed, threeLayerImage } from "./ociImages";

const silent = rootLogger().child({}, { level: "silent" });

function layerDirs(image: BuiltImage): { dir: string; identity: string }[] {
  return image.layerTars.map((tar, i) => ({
    dir: path.join(path.dirname(tar), `layer${i}`),
    identity: image.layerDigests[i],
  }));
}

function filesOf(result: BaselineResult): [string, unknown][] {
  return [...result.baseline.files];
}

async function rejectsWith(promise: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof BaselineError, `expected a BaselineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (text) assert.match(error.message, text);
    return true;
  });
}

describe("BaselineBuilder.archive (OCI image archives read in place)", () => {
  const temp = new TempDirs();
  let work: string;
  let image: BuiltImage;
  let fromDirs: BaselineResult;
  before(async () => {
    work = temp.make("oci");
    image = threeLayerImage(work);
    fromDirs = await new BaselineBuilder({ logger: silent }).image(layerDirs(image));
  });
  after(() => temp.cleanup());

  it("equals the layer-directory baseline of the same image", async () => {
    const result = await new BaselineBuilder({ logger: silent }).archive(image.archive);
    assert.deepEqual(filesOf(result), filesOf(fromDirs));
    assert.deepEqual(result.baseline.layers, image.layerDigests);
    assert.equal(result.image.name, "test/three:1");
    assert.equal(result.image.manifestDigest, image.manifestDigest);
    // The merge really applied the upper layers' whiteouts and opaque dir.
    const paths = [...result.baseline.files.keys()];
    assert.ok(paths.includes("/bin/busybox") && paths.includes("/app/run") && paths.includes("/etc/hosts"));
    assert.ok(!paths.includes("/app/lib.so") && !paths.includes("/etc/passwd") && !paths.includes("/etc/app.conf"));
    assert.equal(result.baseline.files.get("/bin/busybox")?.sha256, sha256(fs.readFileSync("/bin/busybox")));
  });

  it("reads gzip layers", async () => {
    const archive = recompressed(image, work, "gzip", gzip);
    const result = await new BaselineBuilder({ logger: silent }).archive(archive);
    assert.deepEqual(filesOf(result), filesOf(fromDirs));
  });

  it("reads zstd layers when this Node has zstd, else refuses them with UNSUPPORTED_COMPRESSION", async () => {
    const zstd = (zlib as unknown as { zstdCompressSync?: (b: Buffer) => Buffer }).zstdCompressSync;
    // Without zstd in zlib, a blob that only starts with the zstd magic is enough to test the refusal.
    const compress = zstd ?? ((b: Buffer) => Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), b]));
    const archive = recompressed(image, work, "zstd", compress);
    const building = new BaselineBuilder({ logger: silent }).archive(archive);
    if (zstd) assert.deepEqual(filesOf(await building), filesOf(fromDirs));
    else await rejectsWith(building, "UNSUPPORTED_COMPRESSION", /zstd/);
  });

  it("picks this platform's manifest from a multi-platform index", async () => {
    const result = await new BaselineBuilder({ logger: silent }).archive(multiPlatform(image, work));
    assert.deepEqual(filesOf(result), filesOf(fromDirs));
    assert.equal(result.image.name, "test/three:1");
  });

  it("reads a docker save archive, verifying layers against the config's diff_ids", async () => {
    const result = await new BaselineBuilder({ logger: silent }).archive(dockerSave(image, work));
    assert.deepEqual(filesOf(result), filesOf(fromDirs));
    assert.equal(result.image.name, "test/three:1");
  });

  it("refuses a layer blob that does not match its digest", async () => {
    await rejectsWith(
      new BaselineBuilder({ logger: silent }).archive(corruptedLayer(image, work)),
      "BAD_ARCHIVE",
      /hashes to sha256:/,
    );
  });

  it("refuses corrupt gzip data with BAD_ARCHIVE", async () => {
    const archive = recompressed(image, work, "gzip", (b) => {
      const z = gzip(b);
      z.fill(0x55, 20, 60);
      return z;
    });
    await rejectsWith(new BaselineBuilder({ logger: silent }).archive(archive), "BAD_ARCHIVE", /gzip/);
  });

  it("refuses files that are not image archives, with what is missing", async () => {
    const notTar = path.join(work, "not.tar");
    fs.writeFileSync(notTar, "hello world, not a tar at all".repeat(100));
    await rejectsWith(new BaselineBuilder({ logger: silent }).archive(notTar), "BAD_ARCHIVE", /checksum/);
    const layerOnly = image.layerTars[1];
    await rejectsWith(new BaselineBuilder({ logger: silent }).archive(layerOnly), "BAD_ARCHIVE", /neither index.json/);
    const truncated = path.join(work, "truncated.tar");
    fs.writeFileSync(truncated, fs.readFileSync(image.archive).subarray(0, 4096 + 700));
    await rejectsWith(new BaselineBuilder({ logger: silent }).archive(truncated), "BAD_ARCHIVE", /truncated/);
    await rejectsWith(new BaselineBuilder({ logger: silent }).archive(path.join(work, "missing.tar")), "IO_ERROR");
  });

  it("refuses an index whose manifest blob is missing", async () => {
    const dir = path.join(work, "missing-blob");
    fs.cpSync(image.layoutDir, dir, { recursive: true });
    fs.rmSync(path.join(dir, "blobs", "sha256", image.manifestDigest.slice(7)));
    const archive = `${dir}.tar`;
    tarDirectory(dir, archive);
    await rejectsWith(
      new BaselineBuilder({ logger: silent }).archive(archive),
      "BAD_ARCHIVE",
      /missing from the archive/,
    );
  });
});
