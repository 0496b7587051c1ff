// Default bounds on layer input. An image layer comes from a registry anyone can push to,
// so every walk and every tar read stops at these instead of trusting the input.
import * as os from "node:os";

import { BaselineError, type BaselineLimits } from "./types";

export const DEFAULT_LIMITS: Readonly<Omit<BaselineLimits, "hashConcurrency">> = {
  // The per-image budget (./budget.ts), sized against the agent's 1 GiB memory limit: an
  // image at the budget took the agent to a peak RSS of 276 MiB (README "Limits").
  maxEntries: 1_000_000,
  maxManifestBytes: 192 * 1024 * 1024,
  maxDepth: 256,
  maxPathBytes: 4096,
  maxHashBytes: 2 * 1024 * 1024 * 1024,
};

/** Defaults completed with the caller's overrides; hashConcurrency defaults to the CPUs we may use. */
export function resolveLimits(overrides: Partial<BaselineLimits> = {}): BaselineLimits {
  const limits: BaselineLimits = { ...DEFAULT_LIMITS, hashConcurrency: os.availableParallelism(), ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`baseline limit ${name} must be a positive integer (got ${String(value)})`);
    }
  }
  return limits;
}

/**
 * Checks one entry's absolute image path against the path limits. Depth counts path
 * components: "/bin/ls" has depth 2.
 */
export function checkPathLimits(limits: BaselineLimits, source: string, imagePath: string, depth: number): void {
  if (Buffer.byteLength(imagePath) > limits.maxPathBytes) {
    throw new BaselineError(
      "PATH_TOO_LONG",
      source,
      `path of ${Buffer.byteLength(imagePath)} bytes exceeds maxPathBytes ${limits.maxPathBytes}: ${imagePath.slice(0, 120)}...`,
    );
  }
  if (depth > limits.maxDepth) {
    throw new BaselineError(
      "TOO_DEEP",
      source,
      `${imagePath.slice(0, 200)} is ${depth} directories deep, over maxDepth ${limits.maxDepth}`,
    );
  }
}
