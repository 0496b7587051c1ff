// `driftguard baseline`: computes an image baseline from an OCI image archive (read in
// place) or from layer directories, and prints a summary or the merged manifest. The
// agent does the same for every container; this command shows what it would allow.
import * as fs from "node:fs";
import pino from "pino";

import { BaselineBuilder, type BaselineResult } from "../baseline/BaselineBuilder";
import { BaselineError, type BaselineProgress } from "../baseline/types";
import { UsageError, type Command } from "./command";
import { parseFlags, positiveInt, type FlagSpec } from "./flags";
import { errorMessage } from "../util/errorMessage";

const FLAGS: FlagSpec[] = [{ name: "json", boolean: true }, { name: "state-dir" }, { name: "max-entries" }];

const USAGE = `usage: driftguard baseline <oci-image.tar | layer-dir...> [options]

Computes the baseline of an image: every regular file of the merged layers, with the
SHA-256 of each program (any exec bit, or ELF / "#!" content). An image archive (OCI
layout or docker save, plain, gzip or zstd layers) is read without being extracted;
layer directories (as an overlay snapshotter unpacked them) are given lower first.

  --json              print the merged manifest as JSON instead of a summary
  --state-dir DIR     cache layer manifests under DIR/baselines/layers (as the agent does)
  --max-entries N     refuse an image whose layers hold more than N entries together [1000000]

Exit status: 0 done, 1 the input cannot be baselined (the error's code says why), 2 usage.`;

export const baselineCommand: Command = {
  name: "baseline",
  summary: "compute an image's baseline from an image archive or layer directories",
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const flags = parseFlags(argv, FLAGS);
    if (flags.positionals.length === 0)
      throw new UsageError("an image archive or at least one layer directory is needed");
    const maxEntries = flags.values.has("max-entries") ? positiveInt(flags, "max-entries") : undefined;
    const inputs = flags.positionals;
    const archive = inputs.length === 1 && fs.statSync(inputs[0], { throwIfNoEntry: false })?.isFile() === true;
    const progress = process.stderr.isTTY ? new ProgressLine() : undefined;
    const builder = new BaselineBuilder({
      stateDir: flags.values.get("state-dir"),
      limits: maxEntries !== undefined ? { maxEntries } : {},
      // Logs go to stderr so that stdout stays the summary or the JSON.
      logger: pino(
        { level: process.env.DRIFTGUARD_LOG_LEVEL ?? "warn", base: { app: "driftguard" } },
        pino.destination({ dest: 2, sync: true }),
      ),
      onProgress: progress && ((p) => progress.update(p)),
    });
    let result: BaselineResult & { image?: { name?: string; manifestDigest?: string } };
    try {
      result = archive
        ? await builder.archive(inputs[0])
        : await builder.image(inputs.map((dir) => ({ dir, identity: layerDirIdentity(dir) })));
    } catch (error) {
      progress?.clear();
      if (error instanceof BaselineError) {
        process.stderr.write(`driftguard baseline: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    progress?.clear();
    if (flags.booleans.has("json")) await writeJson(result);
    else process.stdout.write(summary(result, archive ? inputs[0] : inputs.join(" ")));
    return 0;
  },
};

/**
 * The cache identity of a layer directory given on the command line: its real path. The
 * cache then assumes the directory does not change, which holds for committed snapshots
 * (the agent uses content-addressed snapshot names instead).
 */
function layerDirIdentity(dir: string): string {
  try {
    return `dir:${fs.realpathSync.native(dir)}`;
  } catch (error) {
    throw new BaselineError("NOT_A_DIRECTORY", dir, `cannot read the layer directory: ${errorMessage(error)}`);
  }
}

function summary(
  result: BaselineResult & { image?: { name?: string; manifestDigest?: string } },
  input: string,
): string {
  const { stats, baseline } = result;
  const lines = [
    `image:    ${result.image?.name ?? input}`,
    ...(result.image?.manifestDigest ? [`manifest: ${result.image.manifestDigest}`] : []),
    `layers:   ${stats.layers} (${stats.cachedLayers} from cache)`,
    `files:    ${baseline.files.size}`,
    `programs: ${stats.programs}`,
    `hashed:   ${formatBytes(stats.hashedBytes)}`,
    `time:     ${(stats.ms / 1000).toFixed(2)} s`,
  ];
  return lines.join("\n") + "\n";
}

/** Streams the merged manifest, one file per line, without building one huge string. */
async function writeJson(result: BaselineResult & { image?: object }): Promise<void> {
  const head = { layers: result.baseline.layers, ...(result.image && { image: result.image }), stats: result.stats };
  let out = JSON.stringify(head).slice(0, -1) + ',"files":[';
  let first = true;
  for (const [path, entry] of result.baseline.files) {
    out += (first ? "\n" : ",\n") + JSON.stringify({ path, ...entry });
    first = false;
    if (out.length > 1 << 20) {
      await write(out);
      out = "";
    }
  }
  await write(out + "\n]}\n");
}

function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** One status line on a terminal's stderr, redrawn at most ten times a second. */
class ProgressLine {
  private readonly layers = new Map<string, BaselineProgress>();
  private readonly started = performance.now();
  private lastDraw = 0;

  update(progress: BaselineProgress): void {
    this.layers.set(progress.source, progress);
    const now = performance.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    let entries = 0;
    let hashed = 0;
    for (const p of this.layers.values()) {
      entries += p.entries;
      hashed += p.hashedBytes;
    }
    const seconds = (now - this.started) / 1000;
    const spinner = "|/-\\"[Math.floor(seconds * 8) % 4];
    process.stderr.write(
      `\r\x1b[K${spinner} ${this.layers.size} layer(s), ${entries} entries, ${formatBytes(hashed)} hashed, ${seconds.toFixed(1)} s`,
    );
  }

  clear(): void {
    if (this.lastDraw > 0) process.stderr.write("\r\x1b[K");
  }
}
