// Builds image baselines from layers, each layer read once: concurrent requests for one
// layer share a read, finished layers are cached on disk (when a stateDir is given), so an
// image sharing layers with a known image costs only its new layers and an agent restart
// costs no hashing at all.
//
// Memory is bounded per image by its budget (./budget.ts): layers are read one after the
// other, lower first, each capped at what the image has left, streaming its records to the
// cache; then the layers are merged as sorted streams (./mergeLayers.ts), one image at a
// time, into the caller's result. An image over the budget fails with BudgetExceeded once,
// and again without any reading (firstReport false) when it is asked for again.
import type { Logger } from "../log/logger";
import { componentLogger } from "../log/logger";
import type { NativeImageTable } from "../native/binding";
import { BudgetExceeded, ImageMeter } from "./budget";
import { LayerCache } from "./layerCache";
import { LayerReads, type LayerJob, type LayerResult } from "./layerReads";
import { createLimiter, type Limiter } from "./limiter";
import { resolveLimits } from "./limits";
import type { RecordReader } from "./manifestStore";
import { mergeLayerRecords } from "./mergeLayers";
import { NativeTableCollector } from "./nativeTable";
import { OciArchive, type ArchiveImage } from "./ociArchive";
import type { BaselineLimits, BaselineProgress, ImageBaseline, ImageFileEntry } from "./types";
import { walkLayerDirInto } from "./walkLayerDir";

/** Images remembered as over their budget, so that each is reported (and read) once. */
const MAX_REMEMBERED_IMAGES = 1024;

export interface BaselineBuilderOptions {
  /** Enables the on-disk layer cache under <stateDir>/baselines/layers. */
  stateDir?: string;
  limits?: Partial<BaselineLimits>;
  logger?: Logger;
  onProgress?: (progress: BaselineProgress) => void;
}

export interface LayerSource {
  dir: string;
  /** Content-addressed identity (snapshot chain ID, blob digest): the cache key. */
  identity: string;
}

export interface BaselineStats {
  layers: number;
  /** Layers this call did not compute (disk cache, or another caller computing it). */
  cachedLayers: number;
  /** Bytes hashed by this call. */
  hashedBytes: number;
  /** Programs of the merged image (hashed, sniffed ELF/script, or executable). */
  programs: number;
  /** Regular files of the merged image. */
  files: number;
  /** Entries of all layers together, as the budget counts them. */
  entries: number;
  manifestBytes: number;
  ms: number;
}

export interface BaselineResult {
  baseline: ImageBaseline;
  stats: BaselineStats;
}

/** What the agent needs of an image: its native decision table and its program digests. */
export interface ImageTableResult {
  table: NativeImageTable;
  programDigests: Map<string, string>;
  stats: BaselineStats;
}

export class BaselineBuilder {
  readonly limits: BaselineLimits;
  private readonly logger: Logger;
  private readonly cache: LayerCache | undefined;
  private readonly hashLimiter: Limiter;
  private readonly reads: LayerReads;
  /** Merges materialise an image's files: one image at a time. */
  private readonly mergeSlot: Limiter = createLimiter(1);
  private readonly overBudget = new Map<string, BudgetExceeded>();

  constructor(private readonly options: BaselineBuilderOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.logger = options.logger ?? componentLogger("baseline");
    this.cache = options.stateDir !== undefined ? new LayerCache(options.stateDir, this.logger) : undefined;
    void this.cache?.removeStale();
    this.hashLimiter = createLimiter(this.limits.hashConcurrency);
    this.reads = new LayerReads(`maxHashBytes=${this.limits.maxHashBytes}`, this.limits, this.logger, this.cache);
  }

  /** The merged baseline of an image given by its layer directories, lower first. */
  async image(layers: LayerSource[], name?: string): Promise<BaselineResult> {
    const files = new Map<string, ImageFileEntry>();
    const stats = await this.build(this.dirJobs(layers), name, (path, entry) => files.set(path, entry));
    return { baseline: { layers: layers.map((l) => l.identity), files }, stats };
  }

  /** The native table of an image given by its layer directories (lower first): the agent's view. */
  async imageTable(layers: LayerSource[], name?: string): Promise<ImageTableResult> {
    const collector = new NativeTableCollector();
    const stats = await this.build(this.dirJobs(layers), name, (path, entry) => collector.add(path, entry));
    return { table: collector.finish(), programDigests: collector.programDigests, stats };
  }

  /** The merged baseline of the image in an OCI (or docker save) archive, read in place. */
  async archive(file: string): Promise<BaselineResult & { image: Omit<ArchiveImage, "layers"> }> {
    const archive = await OciArchive.open(file, this.limits);
    try {
      const image = await archive.image();
      const files = new Map<string, ImageFileEntry>();
      const jobs: LayerJob[] = image.layers.map((l) => ({
        identity: l.identity,
        source: `${file}#${l.identity}`,
        // Hashing happens on the main thread here (in-stream), so one layer at a time
        // saturates a core; the limiter still bounds how many run together.
        read: (sink, meter) =>
          this.hashLimiter(() =>
            archive.readLayer(l, sink, { limits: this.limits, onProgress: this.options.onProgress, meter }),
          ),
      }));
      const stats = await this.build(jobs, image.name ?? file, (path, entry) => files.set(path, entry));
      const baseline = { layers: image.layers.map((l) => l.identity), files };
      return { baseline, stats, image: { name: image.name, manifestDigest: image.manifestDigest } };
    } finally {
      await archive.close();
    }
  }

  private dirJobs(layers: LayerSource[]): LayerJob[] {
    return layers.map((l) => ({
      identity: l.identity,
      source: l.dir,
      read: (sink, meter) =>
        walkLayerDirInto(l.dir, sink, {
          limits: this.limits,
          hashLimiter: this.hashLimiter,
          onProgress: this.options.onProgress,
          meter,
        }),
    }));
  }

  private async build(
    jobs: LayerJob[],
    name: string | undefined,
    onFile: (path: string, entry: ImageFileEntry) => void,
  ): Promise<BaselineStats> {
    const started = performance.now();
    const imageKey = jobs.map((j) => j.identity).join("\n");
    const known = this.overBudget.get(imageKey);
    if (known) throw known.repeated();
    const meter = new ImageMeter(this.limits, name ?? jobs.map((j) => j.identity).join(","), jobs.length);
    const results: LayerResult[] = [];
    try {
      // One after the other: each layer is capped at what the ones below left.
      for (const job of jobs) results.push(await this.reads.layer(job, meter));
    } catch (error) {
      if (error instanceof BudgetExceeded) this.rememberOverBudget(imageKey, error);
      throw error;
    }
    let files = 0;
    let programs = 0;
    await this.mergeSlot(() =>
      mergeLayerRecords(openAll(results), (path, entry) => {
        files++;
        if (entry.sha256 !== undefined || entry.program !== undefined || entry.executable) programs++;
        onFile(path, entry);
      }),
    );
    const computed = results.filter((r) => !r.cached);
    const used = meter.used;
    return {
      layers: results.length,
      cachedLayers: results.length - computed.length,
      hashedBytes: computed.reduce((sum, r) => sum + r.layer.stats.hashedBytes, 0),
      programs,
      files,
      entries: used.entries,
      manifestBytes: used.manifestBytes,
      ms: Math.round(performance.now() - started),
    };
  }

  private rememberOverBudget(imageKey: string, error: BudgetExceeded): void {
    if (this.overBudget.size >= MAX_REMEMBERED_IMAGES) {
      this.overBudget.delete(this.overBudget.keys().next().value as string);
    }
    this.overBudget.set(imageKey, error);
  }
}

/** Readers of every layer; none left open when one cannot be opened. */
function openAll(results: LayerResult[]): RecordReader[] {
  const readers: RecordReader[] = [];
  try {
    for (const result of results) readers.push(result.layer.open());
  } catch (error) {
    for (const reader of readers) reader.close();
    throw error;
  }
  return readers;
}
