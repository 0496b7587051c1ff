// Layer manifests cached on disk, so that an agent restart or a second image sharing a
// layer costs no hashing: <stateDir>/baselines/layers/<sha256(version, identity, options)>.layer.
// Identities are content addressed (a snapshot chain ID, a blob digest), so an entry
// never goes stale; anything unreadable is a miss that gets rewritten, never a crash.
//
// A layer is written here while it is read (records stream to a temp file) and becomes an
// entry only when the read finished: the header, written last, says how many records
// follow, then fsync and rename. A read that stopped (over budget, a vanished file, a
// crash) leaves no entry, and an entry cut short is refused when read.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../log/logger";
import { errorMessage } from "../util/errorMessage";
import { RecordEncoder, StreamRecordReader, type RecordSink, type StoredLayer } from "./manifestStore";
import type { LayerStats } from "./types";
import type { ManifestRecord } from "./manifestRecords";

const CACHE_VERSION = 2;
const MAGIC = "DGLAYER2";
/** Magic, a u32 JSON length, the JSON header; records start here. */
const HEADER_BYTES = 4096;
const STATS_FIELDS = ["entries", "manifestBytes", "programs", "hashedBytes", "oversized"] as const;

// Lookups in every LayerCache of the process, for the agent's metrics.
const lookups = { hits: 0, misses: 0 };

/** Layer cache lookups since the process started: hits need no hashing. */
export function layerCacheStats(): { hits: number; misses: number } {
  return { ...lookups };
}

interface CacheHeader {
  cacheVersion: number;
  identity: string;
  variant: string;
  source: string;
  stats: LayerStats;
  records: number;
  recordBytes: number;
}

/** A failure to write the cache (not of the layer): the caller reads the layer again in memory. */
export class CacheWriteError extends Error {}

export class LayerCache {
  readonly dir: string;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.dir = path.join(stateDir, "baselines", "layers");
  }

  /**
   * `variant` holds whatever changes the manifest for the same layer (maxHashBytes: a
   * larger limit hashes more files), so entries made under other settings are not reused.
   */
  fileOf(identity: string, variant: string): string {
    const key = createHash("sha256").update(`${CACHE_VERSION}\0${identity}\0${variant}`).digest("hex");
    return path.join(this.dir, `${key}.layer`);
  }

  /** The cached layer (its header checked; records are read later), or undefined. */
  async get(identity: string, variant: string): Promise<StoredLayer | undefined> {
    const stored = await this.read(identity, variant);
    lookups[stored ? "hits" : "misses"]++;
    return stored;
  }

  private async read(identity: string, variant: string): Promise<StoredLayer | undefined> {
    const file = this.fileOf(identity, variant);
    let header: CacheHeader;
    try {
      header = readHeader(file, identity, variant);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return undefined;
      const msg = code ? "layer cache entry unreadable, recomputing" : "layer cache entry corrupt, recomputing";
      this.logger.warn({ file, identity, err: errorMessage(error) }, msg);
      return undefined;
    }
    return storedEntry(file, identity, variant, header);
  }

  /** A writer for the layer's records; throws CacheWriteError when the cache cannot take it. */
  async create(identity: string, variant: string, source: string): Promise<CacheEntryWriter> {
    const file = this.fileOf(identity, variant);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
      const fd = fs.openSync(tmp, "wx", 0o600);
      return new CacheEntryWriter(fd, tmp, file, { identity, variant, source });
    } catch (error) {
      throw new CacheWriteError(`cannot create ${tmp}: ${errorMessage(error)}`);
    }
  }

  /** Removes what older versions and crashed writers left (best effort, once at start). */
  async removeStale(): Promise<void> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name)?.[1];
      const stale = name.endsWith(".json") || (pid !== undefined && !processExists(Number(pid)));
      if (stale) await fs.promises.rm(path.join(this.dir, name), { force: true }).catch(() => undefined);
    }
  }
}

/** Streams one layer's records into a temp file; commit() makes it an entry. */
export class CacheEntryWriter implements RecordSink {
  private readonly encoder: RecordEncoder;
  private position = HEADER_BYTES;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly tmp: string,
    private readonly file: string,
    private readonly meta: { identity: string; variant: string; source: string },
  ) {
    this.encoder = new RecordEncoder((data) => {
      try {
        fs.writeSync(fd, data, 0, data.length, this.position);
      } catch (error) {
        throw new CacheWriteError(`write ${tmp}: ${errorMessage(error)}`);
      }
      this.position += data.length;
    });
  }

  write(record: ManifestRecord): void {
    this.encoder.write(record);
  }

  /** Header, fsync, rename: from here on the entry is complete. */
  commit(stats: LayerStats): StoredLayer {
    this.encoder.drain();
    const header: CacheHeader = {
      cacheVersion: CACHE_VERSION,
      ...this.meta,
      source: this.meta.source.slice(0, 1024),
      stats,
      records: this.encoder.records,
      recordBytes: this.encoder.bytes,
    };
    try {
      fs.writeSync(this.fd, encodeHeader(header), 0, HEADER_BYTES, 0);
      fs.fsyncSync(this.fd);
      this.close();
      fs.renameSync(this.tmp, this.file);
    } catch (error) {
      this.discard();
      throw new CacheWriteError(`commit ${this.file}: ${errorMessage(error)}`);
    }
    return storedEntry(this.file, this.meta.identity, this.meta.variant, header);
  }

  discard(): void {
    this.close();
    fs.rmSync(this.tmp, { force: true });
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

/** A complete entry, read back record by record through one descriptor per open(). */
function storedEntry(file: string, identity: string, variant: string, header: CacheHeader): StoredLayer {
  return {
    source: header.source,
    stats: header.stats,
    open: () => {
      const fd = fs.openSync(file, "r");
      try {
        // Checked again: the entry may have been replaced (by an equal one) since.
        const again = readHeader(file, identity, variant, fd);
        let position = HEADER_BYTES;
        const pull = (into: Buffer, offset: number, length: number): number => {
          const n = fs.readSync(fd, into, offset, length, position);
          position += n;
          return n;
        };
        return new StreamRecordReader(pull, again.records, () => fs.closeSync(fd), file);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
    },
  };
}

function encodeHeader(header: CacheHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  if (MAGIC.length + 4 + json.length > HEADER_BYTES) throw new Error("layer cache header too large");
  const out = Buffer.alloc(HEADER_BYTES);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(json.length, MAGIC.length);
  json.copy(out, MAGIC.length + 4);
  return out;
}

/** The header of a complete entry for (identity, variant); throws (without code) otherwise. */
function readHeader(file: string, identity: string, variant: string, openFd?: number): CacheHeader {
  const fd = openFd ?? fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(HEADER_BYTES);
    const n = fs.readSync(fd, head, 0, HEADER_BYTES, 0);
    if (n < HEADER_BYTES || head.toString("latin1", 0, MAGIC.length) !== MAGIC) {
      throw new Error("not a complete layer manifest of this version");
    }
    const length = head.readUInt32LE(MAGIC.length);
    const header = JSON.parse(head.toString("utf8", MAGIC.length + 4, MAGIC.length + 4 + length)) as CacheHeader;
    const size = fs.fstatSync(fd).size;
    if (
      header?.cacheVersion !== CACHE_VERSION ||
      header.identity !== identity ||
      header.variant !== variant ||
      typeof header.source !== "string" ||
      !Number.isSafeInteger(header.records) ||
      !STATS_FIELDS.every((f) => Number.isSafeInteger(header.stats?.[f]))
    ) {
      throw new Error("not a layer manifest of this identity and version");
    }
    if (size !== HEADER_BYTES + header.recordBytes) {
      throw new Error(`cut short or padded: ${size} bytes, the header promises ${HEADER_BYTES + header.recordBytes}`);
    }
    return header;
  } finally {
    if (openFd === undefined) fs.closeSync(fd);
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
