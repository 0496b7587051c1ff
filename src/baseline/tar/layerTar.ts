// Reads one image layer from its tar stream into manifest records, hashing programs as the
// bytes pass (node:crypto, no temporary files). Whiteouts follow the OCI layer spec
// (".wh.name", ".wh..wh..opq"); a 0/0 character device is a whiteout too, because that
// is what it becomes once an overlay snapshotter unpacks it.
import { createHash, type Hash } from "node:crypto";

import { LayerMeter } from "../budget";
import { checkPathLimits } from "../limits";
import { LayerManifestBuilder } from "../layerManifestBuilder";
import { manifestOfStored } from "../layerManifests";
import { MemoryLayerWriter, type RecordSink } from "../manifestStore";
import { depthOf, normalizeArchivePath, parentOf } from "../imagePath";
import { MAGIC_BYTES, hasExecBit, programKindOf, type ProgramKind } from "../programMagic";
import {
  BaselineError,
  type BaselineLimits,
  type BaselineProgress,
  type LayerManifest,
  type LayerStats,
} from "../types";
import { TarParser, type TarEntry, type TarEntrySink, type TarHandler } from "./TarParser";
import { TYPE } from "./tarHeader";

const S_IFREG = 0o100000;
/** Progress is reported at most once per this many bytes of layer data. */
const PROGRESS_EVERY = 8 * 1024 * 1024;

export interface LayerTarOptions {
  limits: BaselineLimits;
  onProgress?: (progress: BaselineProgress) => void;
  /** Counts entries against the image budget; default: this layer alone against all of it. */
  meter?: LayerMeter;
}

/** Reads a whole layer tar stream (already decompressed) into sink; returns what it counted. */
export async function readLayerTarInto(
  chunks: AsyncIterable<Buffer>,
  source: string,
  sink: RecordSink,
  options: LayerTarOptions,
): Promise<LayerStats> {
  const reader = new LayerTarReader(source, options);
  const parser = new TarParser(source, reader);
  let reported = 0;
  for await (const chunk of chunks) {
    parser.write(chunk);
    if (parser.offset - reported >= PROGRESS_EVERY) {
      reported = parser.offset;
      reader.progress(parser.offset);
    }
  }
  parser.end();
  reader.progress(parser.offset);
  return reader.writeTo(sink);
}

/** A layer tar's whole manifest in memory: for tests and small tools. */
export async function readLayerTar(
  chunks: AsyncIterable<Buffer>,
  source: string,
  options: LayerTarOptions,
): Promise<LayerManifest> {
  const writer = new MemoryLayerWriter(source);
  return manifestOfStored(writer.finish(await readLayerTarInto(chunks, source, writer, options)));
}

export class LayerTarReader implements TarHandler {
  private readonly builder: LayerManifestBuilder;

  constructor(
    private readonly source: string,
    private readonly options: LayerTarOptions,
  ) {
    const { limits } = options;
    const meter =
      options.meter ??
      new LayerMeter({ entries: limits.maxEntries, manifestBytes: limits.maxManifestBytes }, limits, source);
    this.builder = new LayerManifestBuilder(source, meter);
  }

  entry(entry: TarEntry): TarEntrySink | undefined {
    // Counted with the name as the archive gives it, before it is even normalised.
    this.builder.countEntry(Buffer.byteLength(entry.name) + 1);
    const imagePath = normalizeArchivePath(entry.name, this.source);
    if (imagePath === "/") {
      if (entry.typeflag === TYPE.dir) return undefined; // the layer root itself ("./")
      throw new BaselineError("UNSAFE_PATH", this.source, `a ${describe(entry)} entry names the layer root`);
    }
    checkPathLimits(this.options.limits, this.source, imagePath, depthOf(imagePath));
    this.refuseUnderNonDir(imagePath, entry);
    const mode = S_IFREG | (entry.mode & 0o7777);
    switch (entry.typeflag) {
      case TYPE.dir:
        this.builder.addSpecial(imagePath, "dir");
        return undefined;
      case TYPE.symlink:
        this.builder.addSpecial(imagePath, "symlink"); // recorded, never resolved
        return undefined;
      case TYPE.charDevice:
        if (entry.devmajor === 0 && entry.devminor === 0) this.builder.addWhiteout(imagePath);
        else this.builder.addSpecial(imagePath, "device");
        return undefined;
      case TYPE.blockDevice:
        this.builder.addSpecial(imagePath, "device");
        return undefined;
      case TYPE.fifo:
        this.builder.addSpecial(imagePath, "fifo");
        return undefined;
      case TYPE.hardlink:
        if (!this.builder.addWhiteoutName(imagePath)) this.addHardlink(imagePath, entry);
        return undefined;
      case TYPE.file:
      case TYPE.oldFile:
      case TYPE.contiguous:
        if (this.builder.addWhiteoutName(imagePath)) return undefined;
        return new FileSink(imagePath, mode, entry.size, this.builder, this.options.limits.maxHashBytes);
      default:
        throw new BaselineError(
          "BAD_ARCHIVE",
          this.source,
          `${imagePath}: unsupported tar entry type ${JSON.stringify(entry.typeflag)}`,
        );
    }
  }

  progress(readBytes: number): void {
    this.options.onProgress?.({
      source: this.source,
      entries: this.builder.entryCount,
      hashedBytes: this.builder.hashedBytes,
      readBytes,
    });
  }

  writeTo(sink: RecordSink): LayerStats {
    return this.builder.writeTo(sink);
  }

  /**
   * An entry below a symlink of the same layer would be written through that symlink by
   * a naive unpacker (out of the root, if it points there); below a file it cannot be
   * written at all. Neither happens in an honest layer.
   */
  private refuseUnderNonDir(imagePath: string, entry: TarEntry): void {
    for (let dir = parentOf(imagePath); dir !== "/"; dir = parentOf(dir)) {
      const above = this.builder.entryAt(dir);
      if (above === undefined) continue;
      if ("kind" in above && above.kind === "dir") continue;
      const what = "kind" in above ? above.kind : "regular file";
      throw new BaselineError(
        "UNSAFE_PATH",
        this.source,
        `${describe(entry)} ${imagePath} lies below the ${what} ${dir}`,
      );
    }
  }

  /** A hardlink is its target's inode: same content, same hash. */
  private addHardlink(imagePath: string, entry: TarEntry): void {
    const targetPath = normalizeArchivePath(entry.linkname, this.source);
    const target = this.builder.entryAt(targetPath);
    if (target === undefined || "kind" in target) {
      throw new BaselineError(
        "BAD_ARCHIVE",
        this.source,
        `hardlink ${imagePath} points to ${targetPath}, which is not a regular file earlier in this layer`,
      );
    }
    this.builder.addFile({ ...target, path: imagePath });
  }
}

/** Takes one regular file's data: sniffs the first bytes, hashes programs as they pass. */
class FileSink implements TarEntrySink {
  private readonly head = Buffer.alloc(MAGIC_BYTES);
  private headLength = 0;
  private sniffed = false;
  private program: ProgramKind | undefined;
  private hash: Hash | undefined;

  constructor(
    private readonly path: string,
    private readonly mode: number,
    private readonly size: number,
    private readonly builder: LayerManifestBuilder,
    private readonly maxHashBytes: number,
  ) {}

  data(chunk: Buffer): void {
    if (!this.sniffed) {
      const take = Math.min(MAGIC_BYTES - this.headLength, chunk.length);
      chunk.copy(this.head, this.headLength, 0, take);
      this.headLength += take;
      if (this.headLength < MAGIC_BYTES) return;
      this.decide();
      chunk = chunk.subarray(take);
    }
    if (this.hash && chunk.length > 0) this.hash.update(chunk);
  }

  end(): void {
    if (!this.sniffed) this.decide();
    const program = this.program;
    let sha256: string | undefined;
    if (this.hash) {
      sha256 = this.hash.digest("hex");
      this.builder.hashedBytes += this.size;
    } else if (this.size > this.maxHashBytes && (program || hasExecBit(this.mode))) {
      this.builder.oversized++;
    }
    this.builder.addFile({
      path: this.path,
      mode: this.mode,
      size: this.size,
      ...(sha256 !== undefined && { sha256 }),
      ...(program !== undefined && { program }),
    });
  }

  private decide(): void {
    this.sniffed = true;
    const head = this.head.subarray(0, this.headLength);
    this.program = programKindOf(head);
    if (this.size <= this.maxHashBytes && (this.program || hasExecBit(this.mode))) {
      this.hash = createHash("sha256").update(head);
    }
  }
}

function describe(entry: TarEntry): string {
  return `tar entry ${JSON.stringify(entry.name)} (type ${JSON.stringify(entry.typeflag)})`;
}
