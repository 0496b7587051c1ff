// Images of millions of entries for the hostile-image tests and benchmarks, generated as
// gzip'ed layer tars streamed straight to the OCI layout (no directory tree is ever
// written): empty files in directories of `perDir` entries (0: one flat directory).
// containerd unpacks them like any image; a tar header per entry gzips ~50 to 1.
import { createHash, type Hash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

import { buildOciImage, tarDirectory, type BuiltImage, type LayerEntry } from "./ociImage";

export interface GeneratedLayer {
  /** Entries of the layer, directories included. */
  entries: number;
  /** Files per directory; 0 puts them all in one directory. */
  perDir: number;
  /** Top directory of the layer's entries (distinct per layer, so layers do not overlap). */
  top: string;
}

const BLOCK = 512;

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

/** A ustar header template: everything but the name and the checksum. */
function template(type: "0" | "5", mode: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(octal(mode, 8), 100, "latin1");
  block.write(octal(0, 8), 108, "latin1");
  block.write(octal(0, 8), 116, "latin1");
  block.write(octal(0, 12), 124, "latin1");
  block.write(octal(0, 12), 136, "latin1");
  block.write(type, 156, "latin1");
  block.write("ustar\0", 257, "latin1");
  block.write("00", 263, "latin1");
  return block;
}

const FILE = template("0", 0o644);
const DIR = template("5", 0o755);

function headerFor(kind: Buffer, name: string, into: Buffer, at: number): void {
  kind.copy(into, at);
  into.write(name, at, 100, "latin1");
  into.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + BLOCK; i++) sum += into[i];
  into.write(octal(sum, 7) + " ", at + 148, "latin1");
}

/** The entry names of a layer, directories before their files. */
function* layerNames(layer: GeneratedLayer): Generator<{ dir: boolean; name: string }> {
  yield { dir: true, name: `${layer.top}/` };
  let left = layer.entries - 1;
  for (let d = 0; left > 0; d++) {
    const dir = layer.perDir === 0 ? layer.top : `${layer.top}/d${d}`;
    if (layer.perDir > 0) {
      yield { dir: true, name: `${dir}/` };
      left--;
    }
    const files = layer.perDir === 0 ? left : Math.min(layer.perDir, left);
    for (let f = 0; f < files; f++) yield { dir: false, name: `${dir}/generated-file-${f}` };
    left -= files;
  }
}

/** Writes one generated layer as a gzip'ed tar blob; returns its digests. */
async function writeLayer(
  layer: GeneratedLayer,
  blobs: string,
): Promise<{ diffId: string; digest: string; size: number }> {
  const tmp = path.join(blobs, `tmp-${layer.top}`);
  const tarHash = createHash("sha256");
  const blobHash = createHash("sha256");
  const gzip = zlib.createGzip({ level: 1 });
  const out = fs.createWriteStream(tmp);
  gzip.on("data", (chunk: Buffer) => blobHash.update(chunk));
  const written = new Promise<void>((resolve, reject) => {
    out.on("finish", resolve);
    out.on("error", reject);
    gzip.on("error", reject);
  });
  gzip.pipe(out);
  const feed = async (chunk: Buffer, hash: Hash): Promise<void> => {
    hash.update(chunk);
    if (!gzip.write(chunk)) await new Promise((resolve) => gzip.once("drain", resolve));
  };
  const batch = Buffer.alloc(BLOCK * 2048);
  let used = 0;
  for (const entry of layerNames(layer)) {
    headerFor(entry.dir ? DIR : FILE, entry.name, batch, used);
    used += BLOCK;
    if (used === batch.length) {
      await feed(Buffer.from(batch), tarHash);
      used = 0;
    }
  }
  await feed(Buffer.concat([batch.subarray(0, used), Buffer.alloc(BLOCK * 2)]), tarHash);
  gzip.end();
  await written;
  const digest = blobHash.digest("hex");
  fs.renameSync(tmp, path.join(blobs, digest));
  return {
    diffId: `sha256:${tarHash.digest("hex")}`,
    digest: `sha256:${digest}`,
    size: fs.statSync(path.join(blobs, digest)).size,
  };
}

/**
 * An OCI archive of `base` (a small layer built like buildOciImage's, e.g. busybox) and the
 * generated layers on top, lower first.
 */
export async function buildGeneratedImage(
  workDir: string,
  name: string,
  base: LayerEntry[],
  generated: GeneratedLayer[],
): Promise<BuiltImage> {
  const image = buildOciImage(workDir, name, [base]);
  const blobs = path.join(image.layoutDir, "blobs", "sha256");
  const layers = [];
  for (const layer of generated) layers.push(await writeLayer(layer, blobs));
  const readBlob = (digest: string) => JSON.parse(fs.readFileSync(path.join(blobs, digest.slice(7)), "utf8"));
  const index = JSON.parse(fs.readFileSync(path.join(image.layoutDir, "index.json"), "utf8"));
  const manifest = readBlob(index.manifests[0].digest);
  const config = readBlob(manifest.config.digest);
  config.rootfs.diff_ids.push(...layers.map((l) => l.diffId));
  const writeBlob = (json: object): { digest: string; size: number } => {
    const data = Buffer.from(JSON.stringify(json));
    const digest = "sha256:" + createHash("sha256").update(data).digest("hex");
    fs.writeFileSync(path.join(blobs, digest.slice(7)), data);
    return { digest, size: data.length };
  };
  manifest.config = { ...manifest.config, ...writeBlob(config) };
  manifest.layers.push(
    ...layers.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      digest: l.digest,
      size: l.size,
    })),
  );
  const manifestBlob = writeBlob(manifest);
  index.manifests[0] = { ...index.manifests[0], ...manifestBlob };
  fs.writeFileSync(path.join(image.layoutDir, "index.json"), JSON.stringify(index));
  fs.rmSync(image.archive);
  tarDirectory(image.layoutDir, image.archive);
  return {
    ...image,
    layerDigests: [...image.layerDigests, ...layers.map((l) => l.digest)],
    manifestDigest: manifestBlob.digest,
  };
}
