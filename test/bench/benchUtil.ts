// Shared pieces of the benchmarks: building the C helpers, statistics, reporting.
import { execFileSync } from "node:child_process";
import * as path from "node:path";

/** Compiles test/bench/native/<name>.c (from the source tree) into dir. */
export function buildC(name: string, dir: string, flags: string[] = []): string {
  const source = path.resolve(__dirname, "..", "..", "..", "test", "bench", "native", `${name}.c`);
  const out = path.join(dir, name);
  execFileSync("gcc", ["-O2", ...flags, "-o", out, source]);
  return out;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function ratio(value: number, base: number): number {
  return Math.round((value / base) * 1000) / 1000;
}

/** One machine-readable result line, prefixed so that scripts can grep it. */
export function emit(result: Record<string, unknown>): void {
  process.stdout.write(`BENCH ${JSON.stringify(result)}\n`);
}
