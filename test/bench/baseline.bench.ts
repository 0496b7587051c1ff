// Baseline cost on a realistic image: 4 layers, 50,000 files, ~1 GiB, of which ~3,000
// programs (a few big static binaries, many small ELFs, scripts, non-executable .so
// files) and many small data files. Generated deterministically in a temp dir, removed
// at the end. Compared with `sha256sum` over the same program files, same parallelism,
// measured in the same run on the same (page-cached) files.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { BaselineBuilder, type BaselineResult } from "../../src/baseline/BaselineBuilder";
import { createLimiter } from "../../src/baseline/limiter";
import { rootLogger } from "../../src/log/logger";
import { nativeBinding } from "../../src/native/binding";

const MiB = 1024 * 1024;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

interface FileSpec {
  rel: string;
  size: number;
  mode: number;
  kind: "elf" | "script" | "data";
}

/** mulberry32: small, deterministic. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The files of one layer: `counts` of each category, sizes drawn around their means. */
function layerSpec(
  seed: number,
  counts: { big: number; medium: number; small: number; scripts: number; libs: number; data: number },
): FileSpec[] {
  const rand = prng(seed);
  const around = (mean: number): number => Math.max(1, Math.round(mean * (0.5 + rand())));
  const files: FileSpec[] = [];
  const add = (
    n: number,
    dir: (i: number) => string,
    make: (i: number) => Omit<FileSpec, "rel">,
    name: string,
  ): void => {
    for (let i = 0; i < n; i++) files.push({ rel: `${dir(i)}/${name}${seed}-${i}`, ...make(i) });
  };
  add(
    counts.big,
    () => "usr/local/bin",
    () => ({ size: around(64 * MiB), mode: 0o755, kind: "elf" }),
    "big",
  );
  add(
    counts.medium,
    (i) => `usr/bin/m${i % 8}`,
    () => ({ size: around(1.5 * MiB), mode: 0o755, kind: "elf" }),
    "tool",
  );
  add(
    counts.small,
    (i) => `usr/libexec/p${i % 40}`,
    () => ({ size: around(40 * 1024), mode: 0o755, kind: "elf" }),
    "helper",
  );
  add(
    counts.scripts,
    (i) => `usr/share/scripts/s${i % 10}`,
    () => ({ size: around(2048), mode: 0o755, kind: "script" }),
    "run",
  );
  add(
    counts.libs,
    (i) => `usr/lib/x86_64-linux-gnu/l${i % 20}`,
    () => ({ size: around(150 * 1024), mode: 0o644, kind: "elf" }),
    "lib.so",
  );
  add(
    counts.data,
    (i) => `usr/share/doc/pkg${i % 500}/sub${i % 3}`,
    (i) => ({ size: i % 50 === 0 ? 0 : around(1500), mode: 0o644, kind: "data" }),
    "file",
  );
  return files;
}

const LAYERS = [
  layerSpec(1, { big: 3, medium: 80, small: 900, scripts: 100, libs: 150, data: 21500 }),
  layerSpec(2, { big: 3, medium: 60, small: 700, scripts: 100, libs: 150, data: 14700 }),
  layerSpec(3, { big: 1, medium: 40, small: 450, scripts: 60, libs: 60, data: 7500 }),
  layerSpec(4, { big: 1, medium: 20, small: 250, scripts: 40, libs: 40, data: 3092 }),
];
/** The layer that the second image has instead of the last one. */
const OTHER_TOP = layerSpec(5, { big: 0, medium: 10, small: 100, scripts: 20, libs: 10, data: 900 });

/** A deterministic 8 MiB pool that file contents are sliced from. */
function contentPool(): Buffer {
  const pool = Buffer.alloc(8 * MiB);
  for (let off = 0, n = 0; off < pool.length; off += 32, n++) {
    createHash("sha256").update(`driftguard-bench-${n}`).digest().copy(pool, off);
  }
  return pool;
}

function writeLayer(dir: string, files: FileSpec[], pool: Buffer): void {
  const dirs = new Set(files.map((f) => path.dirname(path.join(dir, f.rel))));
  for (const d of dirs) fs.mkdirSync(d, { recursive: true });
  files.forEach((f, i) => {
    const full = path.join(dir, f.rel);
    const fd = fs.openSync(full, "w", f.mode);
    let written = 0;
    // Data files start with text, so no random slice happens to begin with ELF or "#!" magic.
    const head = f.kind === "elf" ? ELF : f.kind === "script" ? Buffer.from("#!/bin/sh\n") : Buffer.from("doc\n");
    if (f.size > 0) written += fs.writeSync(fd, head.subarray(0, Math.min(head.length, f.size)));
    let offset = (i * 4099) % (pool.length / 2);
    while (written < f.size) {
      const n = Math.min(f.size - written, pool.length - offset);
      written += fs.writeSync(fd, pool, offset, n);
      offset = 0;
    }
    fs.closeSync(fd);
    fs.chmodSync(full, f.mode); // umask must not change the exec bits
  });
}

function timeMs<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

async function timeMsAsync<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

function report(
  name: string,
  ms: number,
  bytes: number,
  reference: { ms: number; bytes: number },
  extra: object = {},
): void {
  const mbps = bytes / MiB / (ms / 1000);
  const refMbps = reference.bytes / MiB / (reference.ms / 1000);
  const ratio = bytes > 0 ? mbps / refMbps : 0;
  const timeRatio = ms / reference.ms;
  process.stdout.write(
    `${name.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms  ${(bytes / MiB).toFixed(0).padStart(6)} MiB  ` +
      `${mbps.toFixed(0).padStart(6)} MiB/s  throughput ${ratio.toFixed(2)}x  time ${timeRatio.toFixed(3)}x of sha256sum\n`,
  );
  process.stdout.write(
    JSON.stringify({
      bench: "baseline",
      name,
      ms: Math.round(ms),
      hashedBytes: bytes,
      mibPerSecond: Math.round(mbps),
      throughputVsSha256sum: Number(ratio.toFixed(3)),
      timeVsSha256sum: Number(timeRatio.toFixed(3)),
      ...extra,
    }) + "\n",
  );
}

/** Writes the benchmark's layer dirs (layer0..3, layer-other) under root. */
export function generateTree(root: string): void {
  const pool = contentPool();
  LAYERS.forEach((files, i) => writeLayer(path.join(root, `layer${i}`), files, pool));
  writeLayer(path.join(root, "layer-other"), OTHER_TOP, pool);
}

export async function bench(): Promise<void> {
  const parallelism = os.availableParallelism();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-bench-baseline-"));
  const logger = rootLogger().child({}, { level: "silent" });
  try {
    const generated = timeMs(() => generateTree(root));
    const all = LAYERS.flat();
    const totalBytes = all.reduce((s, f) => s + f.size, 0);
    const programs = LAYERS.flatMap((files, i) =>
      files.filter((f) => f.kind !== "data").map((f) => path.join(root, `layer${i}`, f.rel)),
    );
    const programBytes = all.filter((f) => f.kind !== "data").reduce((s, f) => s + f.size, 0);
    process.stdout.write(
      `tree: ${all.length} files in ${LAYERS.length} layers, ${(totalBytes / MiB).toFixed(0)} MiB, ` +
        `${programs.length} programs (${(programBytes / MiB).toFixed(0)} MiB), generated in ${(generated.ms / 1000).toFixed(1)} s; ` +
        `parallelism ${parallelism}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}\n`,
    );
    const list = path.join(root, "programs.list");
    fs.writeFileSync(list, programs.join("\0"));
    const sha256sum = (): void => {
      const r = spawnSync("sh", ["-c", `xargs -0 -P ${parallelism} -n 64 sha256sum < '${list}' > /dev/null`]);
      if (r.status !== 0) throw new Error(`sha256sum failed: ${r.stderr}`);
    };
    // Warm the page cache for everything (both sides then read from memory).
    execFileSync("sh", ["-c", `find '${root}' -type f -print0 | xargs -0 cat > /dev/null`]);
    sha256sum();

    const reference = timeMs(sha256sum);
    const ref = { ms: reference.ms, bytes: programBytes };
    report("sha256sum (reference)", reference.ms, programBytes, ref, { parallelism, files: programs.length });

    // The native hasher alone over the same files and parallelism: separates the hash
    // path from the walk (lstat, sniffing 47k data files, merge).
    const limit = createLimiter(parallelism);
    const nativeOnly = await timeMsAsync(() =>
      Promise.all(programs.map((p) => limit(() => nativeBinding().hashFile(p, 4 * 1024 * MiB, false)))),
    );
    report("native hashFile only", nativeOnly.ms, programBytes, ref);

    const stateDir = path.join(root, "state");
    const imageA = LAYERS.map((_, i) => ({ dir: path.join(root, `layer${i}`), identity: `bench-layer-${i}` }));
    const imageB = [...imageA.slice(0, -1), { dir: path.join(root, "layer-other"), identity: "bench-layer-other" }];
    const builder = new BaselineBuilder({ stateDir, logger });
    const first = await timeMsAsync(() => builder.image(imageA));
    check(first.value, all.length, programs.length);
    report("first baseline (4 layers)", first.ms, first.value.stats.hashedBytes, ref, {
      files: first.value.baseline.files.size,
    });

    const second = await timeMsAsync(() => builder.image(imageB));
    const otherBytes = OTHER_TOP.filter((f) => f.kind !== "data").reduce((s, f) => s + f.size, 0);
    report("second image (1 new layer)", second.ms, second.value.stats.hashedBytes, ref, {
      cachedLayers: second.value.stats.cachedLayers,
      newLayerProgramBytes: otherBytes,
    });

    const restarted = new BaselineBuilder({ stateDir, logger });
    const restart = await timeMsAsync(() => restarted.image(imageA));
    report("restart (cache only)", restart.ms, restart.value.stats.hashedBytes, ref, {
      cachedLayers: restart.value.stats.cachedLayers,
    });
    if (restart.value.stats.hashedBytes !== 0) throw new Error("a restart must hash nothing");
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

function check(result: BaselineResult, files: number, programs: number): void {
  if (result.baseline.files.size !== files)
    throw new Error(`expected ${files} files, got ${result.baseline.files.size}`);
  if (result.stats.programs !== programs)
    throw new Error(`expected ${programs} programs, got ${result.stats.programs}`);
}
