// Where a layer's records go while it is read, and how they are read back for the merge:
// encoded into 1 MiB chunks that a writer either keeps (memory: the CLI without a state
// dir, tests) or writes to the on-disk layer cache (./layerCache.ts: the agent). Either
// way a layer costs its encoded bytes at most, never a JS object per entry.
import { decodeRecord, encodeRecord, encodedLength, type ManifestRecord } from "./manifestRecords";
import type { LayerStats } from "./types";

const CHUNK_BYTES = 1 << 20;

export function emptyStats(): LayerStats {
  return { entries: 0, manifestBytes: 0, programs: 0, hashedBytes: 0, oversized: 0 };
}

/** Takes a layer's records in tree order. Throws when they cannot be kept. */
export interface RecordSink {
  write(record: ManifestRecord): void;
}

export interface RecordReader {
  /** The next record, undefined at the end. Throws on a damaged stream. */
  next(): ManifestRecord | undefined;
  close(): void;
}

/** A complete layer manifest, readable any number of times. */
export interface StoredLayer {
  source: string;
  stats: LayerStats;
  open(): RecordReader;
}

/** Encodes records into chunks and hands each full chunk (whole records only) to flush. */
export class RecordEncoder implements RecordSink {
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  records = 0;
  bytes = 0;

  /** flush must not keep the buffer: it is reused. */
  constructor(private readonly flush: (data: Buffer) => void) {}

  write(record: ManifestRecord): void {
    const length = encodedLength(record);
    if (this.used + length > this.chunk.length) {
      this.drain();
      if (length > this.chunk.length) this.chunk = Buffer.allocUnsafe(length);
    }
    this.used = encodeRecord(record, this.chunk, this.used);
    this.records++;
    this.bytes += length;
  }

  drain(): void {
    if (this.used === 0) return;
    this.flush(this.chunk.subarray(0, this.used));
    this.used = 0;
  }
}

/** A layer kept in memory, as encoded chunks. */
export class MemoryLayerWriter implements RecordSink {
  private readonly chunks: Buffer[] = [];
  private readonly encoder = new RecordEncoder((data) => this.chunks.push(Buffer.from(data)));

  constructor(private readonly source: string) {}

  write(record: ManifestRecord): void {
    this.encoder.write(record);
  }

  finish(stats: LayerStats): StoredLayer {
    this.encoder.drain();
    const { chunks, source } = this;
    return { source, stats, open: () => new ChunkListReader(chunks) };
  }
}

class ChunkListReader implements RecordReader {
  private index = 0;
  private offset = 0;

  constructor(private readonly chunks: Buffer[]) {}

  next(): ManifestRecord | undefined {
    while (this.index < this.chunks.length) {
      const chunk = this.chunks[this.index];
      if (this.offset < chunk.length) {
        const decoded = decodeRecord(chunk, this.offset, chunk.length);
        if (!decoded) throw new Error("manifest chunk ends inside a record");
        this.offset = decoded.next;
        return decoded.record;
      }
      this.index++;
      this.offset = 0;
    }
    return undefined;
  }

  close(): void {}
}

/**
 * Reads records from a byte source (a cache file) through one growing buffer. `expected`
 * is the record count the source promises: fewer means it was cut short.
 */
export class StreamRecordReader implements RecordReader {
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private start = 0;
  private end = 0;
  private exhausted = false;
  private count = 0;

  constructor(
    private readonly pull: (into: Buffer, offset: number, length: number) => number,
    private readonly expected: number,
    private readonly onClose: () => void,
    private readonly name: string,
  ) {}

  next(): ManifestRecord | undefined {
    for (;;) {
      const decoded = decodeRecord(this.buffer, this.start, this.end);
      if (decoded) {
        this.start = decoded.next;
        this.count++;
        return decoded.record;
      }
      if (this.exhausted) {
        if (this.start < this.end || this.count !== this.expected) {
          throw new Error(`${this.name}: cut short (${this.count} of ${this.expected} records)`);
        }
        return undefined;
      }
      if (this.start > 0) {
        this.buffer.copy(this.buffer, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (this.end === this.buffer.length) {
        const larger = Buffer.allocUnsafe(this.buffer.length * 2); // a record longer than a chunk
        this.buffer.copy(larger, 0, 0, this.end);
        this.buffer = larger;
      }
      const n = this.pull(this.buffer, this.end, this.buffer.length - this.end);
      if (n === 0) this.exhausted = true;
      this.end += n;
    }
  }

  close(): void {
    this.onClose();
  }
}
