// Builds image baselines from layers, each layer computed once: concurrent requests for
// one layer share a computation, finished layers are cached on disk (when a stateDir is
// given), so an image sharing layers with a known image costs only its new layers and an
// agent restart costs no hashing at all.
import type { Logger } from "../log/logger";
import { componentLogger } from "../log/logger";
import { LayerCache } from "./layerCache";
import { createLimiter, type Limiter } from "./limiter";
import { resolveLimits } from "./limits";
import { mergeLayers } from "./mergeLayers";
import { OciArchive, type ArchiveImage } from "./ociArchive";
import type { BaselineLimits, BaselineProgress, ImageBaseline, LayerManifest } from "./types";
import { walkLayerDir } from "./walkLayerDir";

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
  ms: number;
}

export interface BaselineResult {
  baseline: ImageBaseline;
  stats: BaselineStats;
}

interface LayerResult {
  manifest: LayerManifest;
  /** True when this caller did not compute it. */
  cached: boolean;
}

export class BaselineBuilder {
  readonly limits: BaselineLimits;
  private readonly logger: Logger;
  private readonly cache: LayerCache | undefined;
  private readonly hashLimiter: Limiter;
  private readonly inFlight = new Map<string, Promise<LayerManifest>>();

  constructor(private readonly options: BaselineBuilderOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.logger = options.logger ?? componentLogger("baseline");
    this.cache = options.stateDir !== undefined ? new LayerCache(options.stateDir, this.logger) : undefined;
    this.hashLimiter = createLimiter(this.limits.hashConcurrency);
  }

  /** One layer directory's manifest, from the cache when it is there. */
  async layer(dir: string, identity: string): Promise<LayerManifest> {
    return (await this.layerResult(identity, () => walkLayerDir(dir, this.walkOptions()))).manifest;
  }

  /** The merged baseline of an image given by its layer directories, lower first. */
  async image(layers: LayerSource[]): Promise<BaselineResult> {
    const started = performance.now();
    const results = await Promise.all(
      layers.map((l) => this.layerResult(l.identity, () => walkLayerDir(l.dir, this.walkOptions()))),
    );
    return this.result(
      layers.map((l) => l.identity),
      results,
      started,
    );
  }

  /** The merged baseline of the image in an OCI (or docker save) archive, read in place. */
  async archive(file: string): Promise<BaselineResult & { image: Omit<ArchiveImage, "layers"> }> {
    const started = performance.now();
    const archive = await OciArchive.open(file, this.limits);
    try {
      const image = await archive.image();
      const options = { limits: this.limits, onProgress: this.options.onProgress };
      // Hashing happens on the main thread here (in-stream), so one layer at a time
      // saturates a core; the limiter still bounds how many run together.
      const results = await Promise.all(
        image.layers.map((l) =>
          this.layerResult(l.identity, () => this.hashLimiter(() => archive.readLayer(l, options))),
        ),
      );
      const result = this.result(
        image.layers.map((l) => l.identity),
        results,
        started,
      );
      return { ...result, image: { name: image.name, manifestDigest: image.manifestDigest } };
    } finally {
      await archive.close();
    }
  }

  private walkOptions(): Parameters<typeof walkLayerDir>[1] {
    return { limits: this.limits, hashLimiter: this.hashLimiter, onProgress: this.options.onProgress };
  }

  private result(identities: string[], results: LayerResult[], started: number): BaselineResult {
    const baseline = mergeLayers(results.map((r, i) => ({ identity: identities[i], manifest: r.manifest })));
    let programs = 0;
    for (const entry of baseline.files.values()) {
      if (entry.sha256 !== undefined || entry.program !== undefined || entry.executable) programs++;
    }
    const computed = results.filter((r) => !r.cached);
    return {
      baseline,
      stats: {
        layers: results.length,
        cachedLayers: results.length - computed.length,
        hashedBytes: computed.reduce((sum, r) => sum + r.manifest.stats.hashedBytes, 0),
        programs,
        ms: Math.round(performance.now() - started),
      },
    };
  }

  private async layerResult(identity: string, compute: () => Promise<LayerManifest>): Promise<LayerResult> {
    const running = this.inFlight.get(identity);
    if (running) return { manifest: await running, cached: true };
    let computedHere = false;
    const promise = (async () => {
      const variant = `maxHashBytes=${this.limits.maxHashBytes}`;
      const hit = await this.cache?.get(identity, variant);
      if (hit) return hit;
      computedHere = true;
      const started = performance.now();
      const manifest = await compute();
      this.logger.info(
        { identity, source: manifest.source, ...manifest.stats, ms: Math.round(performance.now() - started) },
        "layer baseline computed",
      );
      await this.cache?.put(identity, variant, manifest);
      return manifest;
    })();
    this.inFlight.set(identity, promise);
    try {
      return { manifest: await promise, cached: !computedHere };
    } finally {
      this.inFlight.delete(identity);
    }
  }
}
