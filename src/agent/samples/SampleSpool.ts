// The node's sample spool: captured files, content-addressed (<dir>/<sha256>), mode 0400 so
// nothing can execute them from here, bounded in total bytes, each deleted once the
// collector has it. Several agents on one node (a rollout) may share it: files are written
// under a temporary name and renamed, never changed after, and a file another agent
// deleted is simply gone. [JS thread]
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../../log/logger";

const DIGEST = /^[0-9a-f]{64}$/;

/** What became of a capture handed to the spool. */
export type SpoolOutcome = "stored" | "duplicate" | "spool_full" | "mismatch" | "write_failed";

export interface SampleSpoolStats {
  files: number;
  bytes: number;
  maxBytes: number;
  /** Captures by outcome since start (spool_full, mismatch and write_failed are drops). */
  outcomes: Record<SpoolOutcome, number>;
}

export class SampleSpool {
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  private readonly outcomes: Record<SpoolOutcome, number> = {
    stored: 0,
    duplicate: 0,
    spool_full: 0,
    mismatch: 0,
    write_failed: 0,
  };
  private readonly listeners: (() => void)[] = [];

  /** Creates dir (0700), forgets unfinished writes and counts the samples already there. */
  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      if (name.startsWith(".tmp-")) fs.rmSync(file, { force: true });
      else if (DIGEST.test(name)) this.count(name, fs.lstatSync(file).size);
    }
  }

  /** Calls fn after each sample stored (the uploader wakes up). */
  onStored(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Stores bytes as the sample of digest sha256, unless they do not hash to it or there is no room. */
  put(sha256: string, bytes: Buffer): SpoolOutcome {
    let outcome: SpoolOutcome;
    try {
      outcome = this.write(sha256, bytes);
    } catch (error) {
      this.logger.error({ sha256, dir: this.dir, err: error }, "sample not written; check the state dir's disk");
      fs.rmSync(this.tmpFile(sha256), { force: true });
      outcome = "write_failed";
    }
    this.outcomes[outcome]++;
    if (outcome === "spool_full" || outcome === "mismatch") {
      this.logger.warn({ sha256, size: bytes.length, outcome, spoolBytes: this.bytes }, "sample not kept");
    }
    if (outcome === "stored") for (const fn of this.listeners) fn();
    return outcome;
  }

  /** Digests stored, the oldest first (upload order). */
  digests(): string[] {
    return [...this.sizes.keys()];
  }

  size(sha256: string): number | undefined {
    return this.sizes.get(sha256);
  }

  /** The sample's file (to stream from), or undefined when it is gone. */
  file(sha256: string): string | undefined {
    return this.sizes.has(sha256) ? path.join(this.dir, sha256) : undefined;
  }

  /** The collector has it (or will never take it): the node forgets it. */
  remove(sha256: string): void {
    const size = this.sizes.get(sha256);
    if (size === undefined) return;
    this.sizes.delete(sha256);
    this.bytes -= size;
    fs.rmSync(path.join(this.dir, sha256), { force: true });
  }

  stats(): SampleSpoolStats {
    return { files: this.sizes.size, bytes: this.bytes, maxBytes: this.maxBytes, outcomes: { ...this.outcomes } };
  }

  private write(sha256: string, bytes: Buffer): SpoolOutcome {
    if (!DIGEST.test(sha256) || createHash("sha256").update(bytes).digest("hex") !== sha256) return "mismatch";
    const final = path.join(this.dir, sha256);
    if (this.sizes.has(sha256) || fs.existsSync(final)) return "duplicate";
    if (this.bytes + bytes.length > this.maxBytes) return "spool_full";
    const tmp = this.tmpFile(sha256);
    // O_EXCL | O_NOFOLLOW: nothing in the way is followed or reused; 0400 from the start.
    const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
    const fd = fs.openSync(tmp, flags, 0o400);
    try {
      fs.writeSync(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, final);
    this.count(sha256, bytes.length);
    return "stored";
  }

  private tmpFile(sha256: string): string {
    return path.join(this.dir, `.tmp-${process.pid}-${sha256}`);
  }

  private count(sha256: string, size: number): void {
    this.sizes.set(sha256, size);
    this.bytes += size;
  }
}
