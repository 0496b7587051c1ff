// Reads one image layer from a directory, as containerd's overlayfs snapshotter unpacked
// it, into a stream of manifest records in tree order (./treeOrder.ts). Directories are
// opened beneath the layer root without following any symlink and their entries stat'ed
// relative to the open directory (./beneathFs.ts); regular files are opened the same way
// by the native hasher (regular files only), and devices, FIFOs and sockets are recorded
// and never opened.
//
// A layer directory of a committed snapshot never changes. An entry that vanishes or
// turns into something else while we read it therefore means the snapshot is being
// removed or tampered with, and the walk fails with IO_ERROR naming the entry rather than
// returning a baseline that describes neither the old nor the new tree.
//
// Memory: one directory listing per level of the current path (each counted against the
// image budget as it is read) and at most a few thousand records waiting for their hash;
// everything else is in the sink (the on-disk layer cache, for the agent).
import * as fs from "node:fs";

import { LayerMeter } from "./budget";
import { EILSEQ, nativeBeneathFs, readEntries, relOf, type BeneathFs, type DirEntry } from "./beneathFs";
import { depthOf, joinImagePath } from "./imagePath";
import { whiteoutName } from "./layerManifestBuilder";
import { LayerFiles } from "./layerFiles";
import { manifestOfStored } from "./layerManifests";
import { createLimiter, type Limiter } from "./limiter";
import { checkPathLimits } from "./limits";
import { MemoryLayerWriter, emptyStats, type RecordSink } from "./manifestStore";
import { OrderedRecords } from "./orderedRecords";
import { errnoError, walkError } from "./walkErrors";
import {
  BaselineError,
  type BaselineLimits,
  type BaselineProgress,
  type LayerManifest,
  type LayerStats,
} from "./types";
import { errorMessage } from "../util/errorMessage";

/** overlayfs marks an opaque directory with this xattr; unprivileged overlay mounts use user.*. */
const OPAQUE_XATTRS = ["trusted.overlay.opaque", "user.overlay.opaque"];
/** Entries handled between two yields to the event loop. */
const ENTRIES_PER_SLICE = 256;

const { S_IFMT, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFREG } = fs.constants;

export interface WalkOptions {
  limits: BaselineLimits;
  /** Shared by the layers of a builder so that hashing stays bounded across them. */
  hashLimiter?: Limiter;
  onProgress?: (progress: BaselineProgress) => void;
  /** Counts entries against the image budget; default: this layer alone against all of it. */
  meter?: LayerMeter;
  /** The filesystem calls (tests wrap them to change the tree mid-walk). */
  fs?: BeneathFs;
}

/** Walks a layer directory into `sink`, records in tree order; returns what it counted. */
export async function walkLayerDirInto(dir: string, sink: RecordSink, options: WalkOptions): Promise<LayerStats> {
  let root: fs.Stats;
  try {
    root = await fs.promises.lstat(dir);
  } catch (error) {
    throw new BaselineError("NOT_A_DIRECTORY", dir, `cannot read the layer directory: ${errorMessage(error)}`);
  }
  if (!root.isDirectory())
    throw new BaselineError("NOT_A_DIRECTORY", dir, "is not a directory (symlinks are not followed)");
  return new LayerDirWalk(dir, sink, options).run();
}

/** A layer's whole manifest in memory: for tests and small tools (the builder streams). */
export async function walkLayerDir(dir: string, options: WalkOptions): Promise<LayerManifest> {
  const writer = new MemoryLayerWriter(dir);
  return manifestOfStored(writer.finish(await walkLayerDirInto(dir, writer, options)));
}

/** A directory entry, sorted by `key`: its name, or for a ".wh." file the name it deletes. */
interface Listed extends DirEntry {
  key: string;
  whiteout: boolean;
}

/** A directory being walked: its entries in tree order, and the next one to visit. */
interface Frame {
  path: string;
  entries: Listed[];
  next: number;
}

class LayerDirWalk {
  private readonly fs: BeneathFs;
  private readonly meter: LayerMeter;
  private readonly out: OrderedRecords;
  private readonly files: LayerFiles;
  private readonly stats = emptyStats();

  constructor(
    private readonly root: string,
    sink: RecordSink,
    private readonly options: WalkOptions,
  ) {
    const { limits } = options;
    this.fs = options.fs ?? nativeBeneathFs;
    this.meter =
      options.meter ??
      new LayerMeter({ entries: limits.maxEntries, manifestBytes: limits.maxManifestBytes }, limits, root);
    this.out = new OrderedRecords(sink);
    const hashLimiter = options.hashLimiter ?? createLimiter(limits.hashConcurrency);
    this.files = new LayerFiles(root, this.out, this.stats, this.fs, limits, hashLimiter);
  }

  async run(): Promise<LayerStats> {
    try {
      const stack = [await this.list("/")];
      let slice = 0;
      while (stack.length > 0 && this.files.failure === undefined) {
        const frame = stack[stack.length - 1];
        if (frame.next === frame.entries.length) {
          stack.pop();
          this.progress();
          continue;
        }
        const child = await this.visit(frame, frame.entries[frame.next++]);
        if (child) stack.push(child);
        if (++slice >= ENTRIES_PER_SLICE) {
          slice = 0;
          await new Promise((resolve) => setImmediate(resolve));
          await this.out.room();
        }
      }
    } catch (error) {
      this.files.failure ??= error;
    }
    // Wait for every file before returning, so no file is still open when the caller
    // deletes the tree.
    await this.files.settled();
    if (this.files.failure !== undefined) throw this.files.failure;
    this.stats.entries = this.meter.entries;
    this.stats.manifestBytes = this.meter.manifestBytes;
    this.progress();
    return this.stats;
  }

  /** Reads a directory's entries (counted as they are read), sorted by name. */
  private async list(dirPath: string): Promise<Frame> {
    let stream;
    try {
      stream = this.fs.openDir(this.root, relOf(dirPath));
    } catch (error) {
      throw walkError(this.root, dirPath, error, "open");
    }
    if (dirPath !== "/") this.markOpaque(stream, dirPath);
    const prefixBytes = dirPath === "/" ? 1 : Buffer.byteLength(dirPath) + 1;
    const entries: Listed[] = [];
    try {
      // Counted as they are read, so a directory of ten million entries stops at the budget.
      await readEntries(stream, (entry) => {
        this.meter.count(prefixBytes + Buffer.byteLength(entry.name));
        const listed = this.whiteoutConvention(dirPath, entry);
        if (listed) entries.push(listed);
      });
    } catch (error) {
      throw walkError(this.root, dirPath, error, "readdir");
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { path: dirPath, entries, next: 0 };
  }

  /**
   * ".wh." files of snapshotters other than containerd's overlayfs: a whiteout takes the
   * place of the name it deletes (records stay in tree order), an opaque marker is recorded
   * with its directory at once, aufs bookkeeping is dropped.
   */
  private whiteoutConvention(dirPath: string, entry: DirEntry): Listed | undefined {
    const plain = { ...entry, key: entry.name, whiteout: false };
    if ((entry.mode & S_IFMT) !== S_IFREG || !entry.name.startsWith(".wh.")) return plain;
    const meaning = whiteoutName(joinImagePath(dirPath, entry.name));
    if (meaning === undefined) return plain;
    if (meaning.kind === "opaque") this.out.add({ kind: "opaque", path: dirPath });
    if (meaning.kind !== "whiteout") return undefined;
    return { ...entry, key: entry.name.slice(".wh.".length), whiteout: true };
  }

  private markOpaque(stream: { xattr(name: string): Buffer | null; close(): void }, dirPath: string): void {
    try {
      if (OPAQUE_XATTRS.some((name) => stream.xattr(name)?.toString() === "y")) {
        this.out.add({ kind: "opaque", path: dirPath });
      }
    } catch (error) {
      stream.close();
      throw walkError(this.root, dirPath, error, "fgetxattr");
    }
  }

  /** Records one entry; returns the frame of a directory to descend into. */
  private async visit(frame: Frame, entry: Listed): Promise<Frame | undefined> {
    if (entry.errno === EILSEQ) {
      throw new BaselineError("UNSAFE_PATH", `${this.root}:${frame.path}`, "holds a name that is not valid UTF-8");
    }
    const imagePath = joinImagePath(frame.path, entry.key);
    if (entry.mode === 0) throw walkError(this.root, imagePath, errnoError(entry.errno), "fstatat");
    checkPathLimits(this.options.limits, this.root, imagePath, depthOf(imagePath));
    if (entry.whiteout) {
      this.out.add({ kind: "whiteout", path: imagePath });
      return undefined;
    }
    const type = entry.mode & S_IFMT;
    if (type === S_IFDIR) {
      this.out.add({ kind: "dir", path: imagePath });
      return this.list(imagePath);
    }
    if (type === S_IFLNK) this.out.add({ kind: "symlink", path: imagePath });
    // overlayfs whiteout: a 0/0 character device deletes the path from lower layers.
    else if (type === S_IFCHR && entry.rdev === 0) this.out.add({ kind: "whiteout", path: imagePath });
    else if (type === S_IFCHR || type === S_IFBLK) this.out.add({ kind: "device", path: imagePath });
    else if (type === S_IFIFO) this.out.add({ kind: "fifo", path: imagePath });
    else if (type === S_IFSOCK) this.out.add({ kind: "socket", path: imagePath });
    else if (type === S_IFREG) this.files.add(imagePath, entry.mode, entry.size);
    return undefined;
  }

  private progress(): void {
    this.options.onProgress?.({
      source: this.root,
      entries: this.meter.entries,
      hashedBytes: this.stats.hashedBytes,
    });
  }
}
