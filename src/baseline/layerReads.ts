// Gets one layer of an image within what the image has left of its budget: from the
// on-disk cache, from another image reading the same layer right now, or read here
// (streamed to the cache as it is read). A read is capped at the image's remaining budget,
// so a hostile layer stops where the budget ends and is never cached; what it counted is
// remembered, so the next image holding it fails at once instead of reading it again.
import type { Logger } from "../log/logger";
import { BudgetExceeded, LayerMeter, type Counted, type ImageBudget, type ImageMeter } from "./budget";
import { CacheWriteError, type CacheEntryWriter, type LayerCache } from "./layerCache";
import { createLimiter, type Limiter } from "./limiter";
import { MemoryLayerWriter, type RecordSink, type StoredLayer } from "./manifestStore";
import type { LayerStats } from "./types";

/** Layer reads at once, whatever the number of images: each holds up to a budget. */
const MAX_CONCURRENT_READS = 2;
/** Layers remembered as over a budget (by identity). */
const MAX_REMEMBERED = 1024;

export interface LayerJob {
  /** Content-addressed identity (snapshot chain ID, blob digest): the cache key. */
  identity: string;
  /** For messages: a directory or "archive.tar#sha256:...". */
  source: string;
  /** Reads the layer's records into sink in tree order, counting entries with meter. */
  read(sink: RecordSink, meter: LayerMeter): Promise<LayerStats>;
}

export interface LayerResult {
  layer: StoredLayer;
  /** True when this call did not read it (disk cache, or another caller reading it). */
  cached: boolean;
}

interface Running {
  cap: Counted;
  promise: Promise<LayerResult>;
}

export class LayerReads {
  private readonly running = new Map<string, Running>();
  /** Lower bounds of layers whose read passed its cap. */
  private readonly atLeast = new Map<string, Counted>();
  private readonly slots: Limiter = createLimiter(MAX_CONCURRENT_READS);

  constructor(
    private readonly variant: string,
    private readonly budget: ImageBudget,
    private readonly logger: Logger,
    private readonly cache: LayerCache | undefined,
  ) {}

  /** The layer, charged to the image's meter; throws BudgetExceeded for the image. */
  async layer(job: LayerJob, meter: ImageMeter): Promise<LayerResult> {
    for (;;) {
      const known = this.atLeast.get(job.identity);
      if (known && !meter.fits(known)) throw meter.exceededBy(known, job.source);
      const remaining = meter.remaining();
      const other = this.running.get(job.identity);
      if (other && !covers(other.cap, remaining)) {
        // Read with less room than this image has: its failure would say nothing here.
        await other.promise.catch(() => undefined);
        continue;
      }
      const mine = other ?? this.start(job, remaining);
      let result: LayerResult;
      try {
        result = await mine.promise;
      } catch (error) {
        if (error instanceof BudgetExceeded) throw meter.exceededBy(error.counted, job.source);
        throw error;
      }
      meter.charge(result.layer.stats, job.source);
      return other ? { ...result, cached: true } : result;
    }
  }

  private start(job: LayerJob, cap: Counted): Running {
    const running: Running = { cap, promise: this.lookupOrRead(job, cap) };
    this.running.set(job.identity, running);
    const done = () => {
      if (this.running.get(job.identity) === running) this.running.delete(job.identity);
    };
    running.promise.then(done, (error: unknown) => {
      done();
      if (error instanceof BudgetExceeded) this.remember(job.identity, error.counted);
    });
    return running;
  }

  private async lookupOrRead(job: LayerJob, cap: Counted): Promise<LayerResult> {
    const hit = await this.cache?.get(job.identity, this.variant);
    if (hit) return { layer: hit, cached: true };
    return { layer: await this.slots(() => this.read(job, cap)), cached: false };
  }

  private async read(job: LayerJob, cap: Counted): Promise<StoredLayer> {
    const started = performance.now();
    let layer: StoredLayer;
    try {
      layer = await this.readInto(job, cap, await this.cacheWriter(job));
    } catch (error) {
      if (!(error instanceof CacheWriteError)) throw error;
      this.logger.warn({ identity: job.identity, err: error.message }, "cannot write layer cache entry");
      layer = await this.readInto(job, cap, undefined); // the baseline still stands, from memory
    }
    this.logger.info(
      { identity: job.identity, source: job.source, ...layer.stats, ms: Math.round(performance.now() - started) },
      "layer baseline computed",
    );
    return layer;
  }

  private async cacheWriter(job: LayerJob): Promise<CacheEntryWriter | undefined> {
    if (!this.cache) return undefined;
    return this.cache.create(job.identity, this.variant, job.source);
  }

  private async readInto(job: LayerJob, cap: Counted, writer: CacheEntryWriter | undefined): Promise<StoredLayer> {
    const meter = new LayerMeter(cap, this.budget, job.source);
    const memory = writer ? undefined : new MemoryLayerWriter(job.source);
    let stats: LayerStats;
    try {
      stats = await job.read(writer ?? memory!, meter);
    } catch (error) {
      writer?.discard(); // a partial manifest never becomes an entry
      throw error;
    }
    return writer ? writer.commit(stats) : memory!.finish(stats);
  }

  private remember(identity: string, counted: Counted): void {
    if (this.atLeast.size >= MAX_REMEMBERED) this.atLeast.delete(this.atLeast.keys().next().value as string);
    this.atLeast.set(identity, counted);
  }
}

/** Whether a read capped at `cap` answers for a caller with `room` left. */
function covers(cap: Counted, room: Counted): boolean {
  return cap.entries >= room.entries && cap.manifestBytes >= room.manifestBytes;
}
