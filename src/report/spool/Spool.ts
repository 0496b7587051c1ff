// The agent's on-disk spool: findings wait here until the collector acknowledges them.
//
// Layout under <stateDir>/spool: append-only segment files "seg-<first seq>.spool" (records
// as in spoolFrame.ts, sequence numbers consecutive across segments) and "acked", the highest
// acknowledged sequence number. A segment is deleted once every record in it is acknowledged.
//
// Durability: append() writes each record with one write(2), so it is in the page cache
// when append returns and survives the agent being killed or restarted. fdatasync runs at
// most every fsyncIntervalMs and when a segment is closed, so a node crash loses at most
// that interval. "acked" is replaced by rename without fsync: losing it resends findings
// the collector already has, which it deduplicates by id.
//
// Bounded: the segment files never exceed maxBytes together. When full, new records are
// refused (dropped, counted, logged at most every 10 s): the oldest undelivered findings are
// the start of an incident, and an attacker flooding execs must not be able to push them out.
//
// Used on one thread (the agent's JS thread); every call is synchronous and short.
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../../log/logger";
import { encodeFrame, scanFrames, MAX_PAYLOAD_BYTES, type FrameIndex } from "./spoolFrame";

export interface SpoolOptions {
  dir: string;
  /** Bound on the segment files' total size. Default 64 MiB. */
  maxBytes?: number;
  /** A segment is closed when it reaches this size. Default min(4 MiB, maxBytes / 8). */
  segmentBytes?: number;
  /** Default 1000 ms; 0 syncs every append. */
  fsyncIntervalMs?: number;
}

export interface SpoolRecord {
  seq: number;
  payload: Buffer;
}

export interface SpoolStats {
  appended: number;
  droppedFull: number;
  pending: number;
  bytes: number;
  segments: number;
  ackedSeq: number;
}

interface Segment {
  baseSeq: number;
  file: string;
  bytes: number;
  frames: FrameIndex[];
  fd?: number;
}

const DROP_LOG_INTERVAL_MS = 10_000;

export class Spool {
  private readonly segments: Segment[] = [];
  private nextSeq = 1;
  private ackedSeq = 0;
  private totalBytes = 0;
  private appended = 0;
  private droppedFull = 0;
  private lastDropLog = 0;
  private dirty = false;
  private syncTimer?: NodeJS.Timeout;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsyncIntervalMs: number;

  constructor(
    private readonly options: SpoolOptions,
    private readonly logger: Logger,
  ) {
    this.maxBytes = options.maxBytes ?? 64 << 20;
    this.segmentBytes = options.segmentBytes ?? Math.max(64 << 10, Math.min(4 << 20, Math.floor(this.maxBytes / 8)));
    this.fsyncIntervalMs = options.fsyncIntervalMs ?? 1000;
  }

  /** Recovers segments left by an earlier run (a torn tail is cut off) and the ack cursor. */
  open(): void {
    const { dir } = this.options;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.ackedSeq = readAcked(path.join(dir, "acked"));
    const files = fs
      .readdirSync(dir)
      .filter((f) => /^seg-\d{20}\.spool$/.test(f))
      .sort();
    for (const name of files) {
      const file = path.join(dir, name);
      const data = fs.readFileSync(file);
      const { frames, validBytes } = scanFrames(data);
      // Sequence numbers only grow; a gap (a segment lost to corruption) is fine.
      if (frames.length === 0 || (this.segments.length > 0 && frames[0].seq < this.nextSeq)) {
        this.logger.warn({ file, bytes: data.length }, "spool segment unreadable or out of sequence; removed");
        fs.rmSync(file, { force: true });
        continue;
      }
      if (validBytes < data.length) {
        this.logger.warn({ file, cutBytes: data.length - validBytes }, "spool segment had a torn tail; cut off");
        fs.truncateSync(file, validBytes);
      }
      this.segments.push({ baseSeq: frames[0].seq, file, bytes: validBytes, frames });
      this.totalBytes += validBytes;
      this.nextSeq = frames[frames.length - 1].seq + 1;
    }
    if (this.segments.length === 0) this.nextSeq = this.ackedSeq + 1;
    this.ackedSeq = Math.min(this.ackedSeq, this.nextSeq - 1);
    this.removeAckedSegments();
    if (this.fsyncIntervalMs > 0) {
      this.syncTimer = setInterval(() => this.sync(), this.fsyncIntervalMs);
      this.syncTimer.unref();
    }
    this.logger.info({ dir, pending: this.pending, bytes: this.totalBytes }, "spool opened");
  }

  get pending(): number {
    return this.nextSeq - 1 - this.ackedSeq;
  }

  get acked(): number {
    return this.ackedSeq;
  }

  /** Appends one record; returns its sequence number, or undefined when dropped (full). */
  append(payload: Uint8Array): number | undefined {
    if (payload.length > MAX_PAYLOAD_BYTES) throw new Error(`spool record of ${payload.length} bytes is too large`);
    const seq = this.nextSeq;
    const frame = encodeFrame(seq, payload);
    if (this.totalBytes + frame.length > this.maxBytes) {
      this.drop();
      return undefined;
    }
    let active = this.segments[this.segments.length - 1];
    if (!active || active.bytes + frame.length > this.segmentBytes || active.fd === undefined) {
      if (active?.fd !== undefined) this.closeSegment(active);
      active = this.newSegment(seq);
    }
    fs.writeSync(active.fd!, frame, 0, frame.length, active.bytes);
    active.frames.push({ seq, offset: active.bytes + 16, length: payload.length });
    active.bytes += frame.length;
    this.totalBytes += frame.length;
    this.nextSeq++;
    this.appended++;
    this.dirty = true;
    if (this.fsyncIntervalMs === 0) this.sync();
    return seq;
  }

  /** Up to maxRecords records after `afterSeq`, at most maxBytes of payload (at least one record). */
  read(afterSeq: number, maxRecords: number, maxBytes: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let bytes = 0;
    for (const segment of this.segments) {
      const last = segment.frames[segment.frames.length - 1];
      if (!last || last.seq <= afterSeq) continue;
      const fd = segment.fd ?? fs.openSync(segment.file, "r");
      try {
        for (let i = Math.max(0, afterSeq + 1 - segment.baseSeq); i < segment.frames.length; i++) {
          const frame = segment.frames[i];
          if (out.length >= maxRecords || (out.length > 0 && bytes + frame.length > maxBytes)) return out;
          const payload = Buffer.allocUnsafe(frame.length);
          fs.readSync(fd, payload, 0, frame.length, frame.offset);
          out.push({ seq: frame.seq, payload });
          bytes += frame.length;
        }
      } finally {
        if (segment.fd === undefined) fs.closeSync(fd);
      }
    }
    return out;
  }

  /** Everything up to and including `seq` was delivered: forget it. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = Math.min(seq, this.nextSeq - 1);
    const file = path.join(this.options.dir, "acked");
    fs.writeFileSync(file + ".tmp", String(this.ackedSeq));
    fs.renameSync(file + ".tmp", file);
    this.removeAckedSegments();
  }

  stats(): SpoolStats {
    return {
      appended: this.appended,
      droppedFull: this.droppedFull,
      pending: this.pending,
      bytes: this.totalBytes,
      segments: this.segments.length,
      ackedSeq: this.ackedSeq,
    };
  }

  /** fdatasync of the active segment, if anything was written since the last one. */
  sync(): void {
    const active = this.segments[this.segments.length - 1];
    if (!this.dirty || active?.fd === undefined) return;
    fs.fdatasyncSync(active.fd);
    this.dirty = false;
  }

  close(): void {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = undefined;
    for (const segment of this.segments) if (segment.fd !== undefined) this.closeSegment(segment);
  }

  private newSegment(baseSeq: number): Segment {
    const file = path.join(this.options.dir, `seg-${String(baseSeq).padStart(20, "0")}.spool`);
    const segment: Segment = { baseSeq, file, bytes: 0, frames: [], fd: fs.openSync(file, "w+", 0o600) };
    this.segments.push(segment);
    return segment;
  }

  private closeSegment(segment: Segment): void {
    if (this.dirty && segment === this.segments[this.segments.length - 1]) this.sync();
    fs.closeSync(segment.fd!);
    segment.fd = undefined;
  }

  private removeAckedSegments(): void {
    while (this.segments.length > 0) {
      const head = this.segments[0];
      const last = head.frames[head.frames.length - 1];
      if (last && last.seq > this.ackedSeq) return;
      if (head.fd !== undefined) {
        fs.closeSync(head.fd);
        head.fd = undefined;
        this.dirty = false;
      }
      fs.rmSync(head.file, { force: true });
      this.totalBytes -= head.bytes;
      this.segments.shift();
    }
  }

  private drop(): void {
    this.droppedFull++;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.lastDropLog = now;
      this.logger.error(
        { dropped: this.droppedFull, bytes: this.totalBytes, maxBytes: this.maxBytes, pending: this.pending },
        "spool full: findings dropped until the collector acknowledges some (raise --spool-max-bytes or fix the collector connection)",
      );
    }
  }
}

function readAcked(file: string): number {
  try {
    const value = Number(fs.readFileSync(file, "utf8").trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}
