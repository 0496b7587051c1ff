// The per-image budget: entries and manifest memory summed over all of an image's layers.
// An image comes from a registry anyone can push to, and the agent holds each image's
// merged baseline in memory; so every layer read counts what it finds as it reads it
// and stops the moment the image's layers together pass the budget. A layer read is
// capped at what its image has left, so no read ever holds more than one budget.
import { BaselineError, type BaselineLimits } from "./types";

export type ImageBudget = Pick<BaselineLimits, "maxEntries" | "maxManifestBytes">;

/**
 * What an entry costs besides its path's UTF-8 bytes, in the accounting of
 * maxManifestBytes: roughly a merged file's JS string header and table slot. Measured:
 * merging 500 000 files of ~55-byte paths into the native table raised a process's peak
 * RSS by ~160 MiB, about twice their manifest bytes; in the agent, an image of 990 000
 * entries (118 MiB of manifest) raised its peak by 88 MiB (test/bench/hostileImage.bench.ts).
 */
export const ENTRY_OVERHEAD_BYTES = 96;

export interface Counted {
  entries: number;
  manifestBytes: number;
}

export type BudgetDimension = "entries" | "manifestBytes";

/** An image (or a layer read for it) that passed the budget. */
export class BudgetExceeded extends BaselineError {
  constructor(
    readonly exceeded: BudgetDimension,
    readonly budget: ImageBudget,
    /** What was counted when the read stopped (a lower bound of the real size). */
    readonly counted: Counted,
    input: string,
    /** Where it was reached, for the message. */
    readonly where = "",
    /** False when the same image was reported before and nothing was read this time. */
    readonly firstReport = true,
  ) {
    super(
      exceeded === "entries" ? "TOO_MANY_ENTRIES" : "MANIFEST_TOO_LARGE",
      input,
      (exceeded === "entries"
        ? `more than maxEntries ${budget.maxEntries} entries (${counted.entries} counted)`
        : `more than maxManifestBytes ${budget.maxManifestBytes} bytes of manifest (${counted.manifestBytes} counted)`) +
        (where && `, ${where}`) +
        "; an image's layers together must stay within the budget (raise it if the image is legitimate)",
    );
  }

  /** The same failure, marked as already reported. */
  repeated(): BudgetExceeded {
    return new BudgetExceeded(this.exceeded, this.budget, this.counted, this.input, this.where, false);
  }
}

function over(counted: Counted, cap: Counted): BudgetDimension | undefined {
  if (counted.entries > cap.entries) return "entries";
  if (counted.manifestBytes > cap.manifestBytes) return "manifestBytes";
  return undefined;
}

/** Counts one layer read against a cap: what its image has left of the budget. */
export class LayerMeter implements Counted {
  entries = 0;
  manifestBytes = 0;

  constructor(
    readonly cap: Counted,
    readonly budget: ImageBudget,
    private readonly source: string,
  ) {}

  /** Counts one entry before anything else is done with it; throws past the cap. */
  count(pathBytes: number): void {
    this.entries++;
    this.manifestBytes += pathBytes + ENTRY_OVERHEAD_BYTES;
    const dimension = over(this, this.cap);
    if (dimension) {
      const counted = { entries: this.entries, manifestBytes: this.manifestBytes };
      throw new BudgetExceeded(dimension, this.budget, counted, this.source, "in this layer");
    }
  }
}

/** The budget of one image, charged layer by layer (lower first). */
export class ImageMeter {
  private usedSoFar: Counted = { entries: 0, manifestBytes: 0 };
  private layers = 0;

  constructor(
    readonly budget: ImageBudget,
    private readonly image: string,
    private readonly layerCount: number,
  ) {}

  /** What the layers charged so far hold together. */
  get used(): Counted {
    return { ...this.usedSoFar };
  }

  remaining(): Counted {
    return {
      entries: this.budget.maxEntries - this.usedSoFar.entries,
      manifestBytes: this.budget.maxManifestBytes - this.usedSoFar.manifestBytes,
    };
  }

  /** Whether a layer known to hold at least `size` can still fit. */
  fits(size: Counted): boolean {
    return over(size, this.remaining()) === undefined;
  }

  /** Adds a complete layer; throws when the image passes the budget with it. */
  charge(size: Counted, layer: string): void {
    const total = {
      entries: this.usedSoFar.entries + size.entries,
      manifestBytes: this.usedSoFar.manifestBytes + size.manifestBytes,
    };
    const dimension = over(total, { entries: this.budget.maxEntries, manifestBytes: this.budget.maxManifestBytes });
    if (dimension) throw this.exceeded(dimension, total, layer);
    this.usedSoFar = total;
    this.layers++;
  }

  /** The image-level failure for a layer that holds at least `layerSize`. */
  exceededBy(layerSize: Counted, layer: string): BudgetExceeded {
    const total = {
      entries: this.usedSoFar.entries + layerSize.entries,
      manifestBytes: this.usedSoFar.manifestBytes + layerSize.manifestBytes,
    };
    const cap = { entries: this.budget.maxEntries, manifestBytes: this.budget.maxManifestBytes };
    return this.exceeded(over(total, cap) ?? "entries", total, layer);
  }

  private exceeded(dimension: BudgetDimension, total: Counted, layer: string): BudgetExceeded {
    const where = `reached in layer ${this.layers + 1} of ${this.layerCount} (${layer})`;
    return new BudgetExceeded(dimension, this.budget, total, this.image, where);
  }
}
