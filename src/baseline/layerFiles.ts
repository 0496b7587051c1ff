// The regular files of a layer walk: sniffed (one pread) and hashed when they are programs,
// on the libuv pool, each record put in its place in tree order (./orderedRecords.ts).
// Files are opened beneath the layer root like its directories (./beneathFs.ts).
import type { BeneathFs } from "./beneathFs";
import { relOf } from "./beneathFs";
import { isProgram } from "./layerManifests";
import type { Limiter } from "./limiter";
import { createLimiter } from "./limiter";
import type { ManifestRecord } from "./manifestRecords";
import type { LayerStats } from "./types";
import type { OrderedRecords } from "./orderedRecords";
import { hasExecBit } from "./programMagic";
import { walkError } from "./walkErrors";
import { BaselineError, type BaselineLimits } from "./types";

/** Files sniffed at once (one pread each, on the libuv pool). */
const SNIFF_CONCURRENCY = 16;

type FileRecord = ManifestRecord & { kind: "file" };

export class LayerFiles {
  private readonly sniffLimiter = createLimiter(SNIFF_CONCURRENCY);
  private readonly jobs = new Set<Promise<void>>();
  /** The first failure of any job; the walk stops at it. */
  failure: unknown;

  constructor(
    private readonly root: string,
    private readonly out: OrderedRecords,
    private readonly stats: LayerStats,
    private readonly fs: BeneathFs,
    private readonly limits: BaselineLimits,
    private readonly hashLimiter: Limiter,
  ) {}

  /** One regular file of the layer, as listed. */
  add(imagePath: string, mode: number, size: number): void {
    if (size > this.limits.maxHashBytes) {
      this.schedule(this.sniffLimiter, () => this.read(imagePath, mode, size, { sniffOnly: true }));
    } else if (hasExecBit(mode)) {
      this.schedule(this.hashLimiter, () => this.read(imagePath, mode, size, {}));
    } else if (size >= 2) {
      // Sniffed, and hashed in the same call when it is a program.
      this.schedule(this.sniffLimiter, () => this.read(imagePath, mode, size, { onlyIfProgram: true }));
    } else {
      this.out.add(this.counted({ kind: "file", path: imagePath, mode, size })); // too short for any magic
    }
  }

  /** Resolves when every job finished (they never reject: they record the failure). */
  async settled(): Promise<void> {
    await Promise.all(this.jobs);
  }

  private schedule(limiter: Limiter, work: () => Promise<ManifestRecord | undefined>): void {
    const record = limiter(() => (this.failure === undefined ? work() : Promise.resolve(undefined))).catch(
      (error: unknown) => {
        this.failure ??= error;
        return undefined;
      },
    );
    const job: Promise<void> = this.out
      .addLater(record)
      .catch((error: unknown) => {
        this.failure ??= error; // the sink could not take a record
      })
      .finally(() => this.jobs.delete(job));
    this.jobs.add(job);
  }

  private async read(
    imagePath: string,
    mode: number,
    size: number,
    how: { sniffOnly?: boolean; onlyIfProgram?: boolean },
  ): Promise<ManifestRecord> {
    let result;
    try {
      result = await this.fs.hashFile(this.root, relOf(imagePath), { maxBytes: this.limits.maxHashBytes, ...how });
    } catch (error) {
      throw walkError(this.root, imagePath, error, how.sniffOnly ? "open" : "hash");
    }
    if (result.sha256 !== null && result.bytes !== size) {
      throw new BaselineError(
        "IO_ERROR",
        `${this.root}:${imagePath}`,
        `changed while it was read (${size} bytes at lstat, ${result.bytes} hashed); a layer directory must not change`,
      );
    }
    if (result.sha256 !== null) this.stats.hashedBytes += result.bytes;
    else if (how.sniffOnly && (hasExecBit(mode) || result.program !== null)) this.stats.oversized++;
    return this.counted({
      kind: "file",
      path: imagePath,
      mode,
      size,
      ...(result.sha256 !== null && { sha256: result.sha256 }),
      ...(result.program !== null && { program: result.program }),
    });
  }

  private counted(record: FileRecord): FileRecord {
    if (isProgram(record)) this.stats.programs++;
    return record;
  }
}
