// Reads an image archive (`ctr images export`, `skopeo copy oci-archive:`, `docker save`)
// in place: the outer tar is indexed by its headers, JSON documents are read by offset,
// and each layer blob is streamed from its offset through sha256 verification and
// decompression into the layer tar reader. Nothing is extracted to disk.
import { createHash, type Hash } from "node:crypto";
import * as fs from "node:fs";
import { Readable, Transform, pipeline, type TransformCallback } from "node:stream";
import * as zlib from "node:zlib";

import { normalizeArchivePath, parentOf, joinImagePath } from "./imagePath";
import {
  blobPath,
  checkDescriptor,
  checkDockerSave,
  diffIdsOf,
  imageNameOf,
  isIndex,
  layersOf,
  pickManifest,
  type Descriptor,
  type ImageIndexDoc,
  type ImageManifestDoc,
} from "./ociLayout";
import { CacheWriteError } from "./layerCache";
import type { RecordSink } from "./manifestStore";
import { readLayerTarInto, type LayerTarOptions } from "./tar/layerTar";
import { indexTarFile, readExactly, type TarMember } from "./tar/tarIndex";
import { TYPE } from "./tar/tarHeader";
import { BaselineError, type BaselineLimits, type LayerStats } from "./types";
import { errorMessage } from "../util/errorMessage";

/** JSON documents larger than this are refused (real manifests are a few KiB). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;
/** Nested image indexes followed at most. */
const MAX_INDEX_DEPTH = 4;

export interface ArchiveLayer {
  /** Content identity, the cache key: the blob digest (OCI) or the diff_id (docker save). */
  identity: string;
  member: TarMember;
  /** The bytes that must hash to `digest`: the blob as stored, or the uncompressed tar. */
  verify: { digest: string; of: "blob" | "tar" };
}

export interface ArchiveImage {
  name?: string;
  manifestDigest?: string;
  /** Lower first. */
  layers: ArchiveLayer[];
}

type Decompressor = "none" | "gzip" | "zstd";

export class OciArchive {
  private constructor(
    readonly file: string,
    private readonly handle: fs.promises.FileHandle,
    private readonly members: Map<string, TarMember>,
  ) {}

  static async open(file: string, limits: BaselineLimits): Promise<OciArchive> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(file, fs.constants.O_RDONLY);
    } catch (error) {
      throw new BaselineError("IO_ERROR", file, `cannot open the image archive: ${errorMessage(error)}`);
    }
    try {
      if (!(await handle.stat()).isFile()) throw new BaselineError("BAD_ARCHIVE", file, "is not a regular file");
      return new OciArchive(file, handle, await indexTarFile(handle, file, limits.maxEntries));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** The image this archive holds (the running platform's, for a multi-platform index). */
  async image(): Promise<ArchiveImage> {
    if (this.members.has("/index.json")) return this.ociImage();
    if (this.members.has("/manifest.json")) return this.dockerSaveImage();
    throw new BaselineError(
      "BAD_ARCHIVE",
      this.file,
      "neither index.json (OCI layout) nor manifest.json (docker save) found",
    );
  }

  private async ociImage(): Promise<ArchiveImage> {
    let doc = (await this.readJson("/index.json")) as ImageManifestDoc;
    let name: string | undefined;
    let descriptor: Descriptor | undefined;
    for (let depth = 0; ; depth++) {
      if (depth > MAX_INDEX_DEPTH) throw new BaselineError("BAD_ARCHIVE", this.file, "image indexes nested too deeply");
      const entries = Array.isArray((doc as ImageIndexDoc).manifests) ? (doc as ImageIndexDoc).manifests : undefined;
      if (!entries) throw new BaselineError("BAD_ARCHIVE", this.file, "an image index has no manifests array");
      const picked = pickManifest(entries.map((m, i) => checkDescriptor(m, this.file, `index manifest ${i}`)));
      if (!picked) throw new BaselineError("BAD_ARCHIVE", this.file, "the image index lists no image manifest");
      name ??= imageNameOf(picked);
      descriptor = picked;
      doc = (await this.readJson(blobPath(picked.digest), picked)) as ImageManifestDoc;
      if (!isIndex(picked, doc)) break;
    }
    const layers = layersOf(doc, this.file).map((layer) => ({
      identity: layer.digest,
      member: this.blobMember(layer),
      verify: { digest: layer.digest, of: "blob" as const },
    }));
    return { name, manifestDigest: descriptor.digest, layers };
  }

  private async dockerSaveImage(): Promise<ArchiveImage> {
    const entry = checkDockerSave(await this.readJson("/manifest.json"), this.file);
    const diffIds = diffIdsOf(await this.readJson(normalizeArchivePath(entry.Config, this.file)), this.file);
    if (diffIds.length !== entry.Layers.length) {
      throw new BaselineError(
        "BAD_ARCHIVE",
        this.file,
        `config lists ${diffIds.length} diff_ids for ${entry.Layers.length} layers`,
      );
    }
    const layers = entry.Layers.map((layerPath, i) => ({
      identity: diffIds[i],
      member: this.resolve(normalizeArchivePath(layerPath, this.file)),
      verify: { digest: diffIds[i], of: "tar" as const },
    }));
    return { name: entry.RepoTags?.[0] ?? undefined, layers };
  }

  /**
   * Streams one layer blob's records into sink; fails unless the bytes match their digest
   * (checked after the records were written: the caller keeps them only on success).
   */
  async readLayer(layer: ArchiveLayer, sink: RecordSink, options: LayerTarOptions): Promise<LayerStats> {
    const source = `${this.file}#${layer.identity}`;
    const { member } = layer;
    const decompressor = await this.compressionOf(member, source);
    const digester = new DigestStream();
    const raw =
      member.size === 0
        ? Readable.from([])
        : fs.createReadStream(this.file, {
            start: member.dataOffset,
            end: member.dataOffset + member.size - 1,
            highWaterMark: 1 << 20,
          });
    const inflate =
      decompressor === "gzip" ? zlib.createGunzip() : decompressor === "zstd" ? createZstd(source) : undefined;
    const stages = [
      raw,
      ...(layer.verify.of === "blob" ? [digester] : []),
      ...(inflate ? [inflate] : []),
      ...(layer.verify.of === "tar" ? [digester] : []),
    ];
    const out = (stages.length === 1 ? raw : pipeline(stages, () => undefined)) as unknown as Readable;
    let stats: LayerStats;
    try {
      stats = await readLayerTarInto(out, source, sink, options);
    } catch (error) {
      out.destroy();
      raw.destroy();
      throw streamError(error, source, decompressor);
    }
    const actual = digester.digest();
    if (actual !== layer.verify.digest) {
      throw new BaselineError(
        "BAD_ARCHIVE",
        source,
        `layer ${layer.verify.of === "blob" ? "blob" : "tar"} hashes to ${actual}, not ${layer.verify.digest}: corrupt or tampered archive`,
      );
    }
    return stats;
  }

  private async compressionOf(member: TarMember, source: string): Promise<Decompressor> {
    if (member.size < 4) return "none";
    const magic = Buffer.alloc(4);
    await readExactly(this.handle, magic, member.dataOffset);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return "gzip";
    if (magic.readUInt32LE(0) === 0xfd2fb528) {
      if (typeof (zlib as ZstdZlib).createZstdDecompress !== "function") {
        throw new BaselineError(
          "UNSUPPORTED_COMPRESSION",
          source,
          `zstd layer, but Node ${process.version} has no zstd in zlib (needs Node >= 22.15); recompress with gzip or run a newer Node`,
        );
      }
      return "zstd";
    }
    return "none";
  }

  private blobMember(descriptor: Descriptor): TarMember {
    const member = this.resolve(blobPath(descriptor.digest));
    if (member.size !== descriptor.size) {
      throw new BaselineError(
        "BAD_ARCHIVE",
        this.file,
        `blob ${descriptor.digest} is ${member.size} bytes, its descriptor says ${descriptor.size}`,
      );
    }
    return member;
  }

  /** A regular member, following member symlinks and hardlinks (docker save uses them). */
  private resolve(path: string): TarMember {
    let current = path;
    for (let hops = 0; hops < 8; hops++) {
      const member = this.members.get(current);
      if (!member) break;
      if (member.typeflag === TYPE.symlink)
        current = normalizeArchivePath(joinImagePath(parentOf(current), member.linkname), this.file);
      else if (member.typeflag === TYPE.hardlink) current = normalizeArchivePath(member.linkname, this.file);
      else if (member.typeflag === TYPE.file || member.typeflag === TYPE.oldFile) return member;
      else break;
    }
    throw new BaselineError(
      "BAD_ARCHIVE",
      this.file,
      `${path.slice(1)} is missing from the archive or not a regular file`,
    );
  }

  private async readJson(path: string, descriptor?: Descriptor): Promise<unknown> {
    const member = descriptor ? this.blobMember(descriptor) : this.resolve(path);
    if (member.size > MAX_JSON_BYTES)
      throw new BaselineError("BAD_ARCHIVE", this.file, `${path.slice(1)} is too large for JSON`);
    const body = Buffer.alloc(member.size);
    await readExactly(this.handle, body, member.dataOffset);
    if (descriptor) {
      const actual = "sha256:" + createHash("sha256").update(body).digest("hex");
      if (actual !== descriptor.digest) {
        throw new BaselineError(
          "BAD_ARCHIVE",
          this.file,
          `${path.slice(1)} hashes to ${actual}: corrupt or tampered archive`,
        );
      }
    }
    try {
      return JSON.parse(body.toString("utf8"));
    } catch (error) {
      throw new BaselineError("BAD_ARCHIVE", this.file, `${path.slice(1)} is not valid JSON: ${errorMessage(error)}`);
    }
  }
}

/** zlib of a Node that has zstd (>= 22.15); @types/node 20 does not declare it. */
type ZstdZlib = typeof zlib & { createZstdDecompress?: () => Transform };

function createZstd(source: string): Transform {
  const create = (zlib as ZstdZlib).createZstdDecompress;
  if (!create) throw new BaselineError("UNSUPPORTED_COMPRESSION", source, "zstd is not available");
  return create();
}

/** Passes bytes through unchanged while hashing them. */
class DigestStream extends Transform {
  private readonly hash: Hash = createHash("sha256");

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return "sha256:" + this.hash.digest("hex");
  }
}

function streamError(error: unknown, source: string, decompressor: Decompressor): unknown {
  if (error instanceof BaselineError || error instanceof CacheWriteError) return error;
  const e = error as NodeJS.ErrnoException;
  if (typeof e.code === "string" && e.code.startsWith("Z_")) {
    return new BaselineError("BAD_ARCHIVE", source, `corrupt ${decompressor} data: ${e.message}`);
  }
  return new BaselineError("IO_ERROR", source, `reading the layer blob failed: ${e.message}`);
}
