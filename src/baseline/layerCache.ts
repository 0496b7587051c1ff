// Layer manifests cached on disk, so that an agent restart or a second image sharing a
// layer costs no hashing: <stateDir>/baselines/layers/<sha256(version, identity, options)>.json.
// Identities are content addressed (a snapshot chain ID, a blob digest), so an entry
// never goes stale; anything unreadable is a miss that gets rewritten, never a crash.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../log/logger";
import type { LayerManifest } from "./types";
import { errorMessage } from "../util/errorMessage";

const CACHE_VERSION = 1;

// Lookups in every LayerCache of the process, for the agent's metrics.
const lookups = { hits: 0, misses: 0 };

/** Layer cache lookups since the process started: hits need no hashing. */
export function layerCacheStats(): { hits: number; misses: number } {
  return { ...lookups };
}

interface CacheRecord {
  cacheVersion: number;
  identity: string;
  variant: string;
  manifest: LayerManifest;
}

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
    return path.join(this.dir, `${key}.json`);
  }

  async get(identity: string, variant: string): Promise<LayerManifest | undefined> {
    const manifest = await this.read(identity, variant);
    lookups[manifest ? "hits" : "misses"]++;
    return manifest;
  }

  private async read(identity: string, variant: string): Promise<LayerManifest | undefined> {
    const file = this.fileOf(identity, variant);
    let text: string;
    try {
      text = await fs.promises.readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        this.logger.warn({ file, identity, err: errorMessage(error) }, "layer cache entry unreadable, recomputing");
      }
      return undefined;
    }
    try {
      const record = JSON.parse(text) as CacheRecord;
      if (
        record?.cacheVersion !== CACHE_VERSION ||
        record.identity !== identity ||
        record.variant !== variant ||
        record.manifest?.version !== 1 ||
        !Array.isArray(record.manifest.files) ||
        !Array.isArray(record.manifest.specials) ||
        !Array.isArray(record.manifest.whiteouts) ||
        !Array.isArray(record.manifest.opaqueDirs)
      ) {
        throw new Error("not a layer manifest of this version");
      }
      return record.manifest;
    } catch (error) {
      this.logger.warn({ file, identity, err: errorMessage(error) }, "layer cache entry corrupt, recomputing");
      return undefined;
    }
  }

  /** Writes atomically (temp file + rename); a failure is logged, the baseline still stands. */
  async put(identity: string, variant: string, manifest: LayerManifest): Promise<void> {
    const file = this.fileOf(identity, variant);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const record: CacheRecord = { cacheVersion: CACHE_VERSION, identity, variant, manifest };
    try {
      await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
      await fs.promises.writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
      await fs.promises.rename(tmp, file);
    } catch (error) {
      this.logger.warn({ file, identity, err: errorMessage(error) }, "cannot write layer cache entry");
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
