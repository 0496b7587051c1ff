// Temp-dir fixtures for baseline tests: everything made here is removed by cleanup(),
// which the suites call from after/afterEach so that a failing test leaves nothing.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import pino from "pino";

import { resolveLimits } from "../../../src/baseline/limits";
import type { BaselineLimits } from "../../../src/baseline/types";
import type { Logger } from "../../../src/log/logger";
import { scratchDir } from "../../testbed/ociImage";

export class TempDirs {
  private readonly removers: (() => void)[] = [];

  make(prefix: string): string {
    const { dir, remove } = scratchDir(prefix);
    this.removers.push(remove);
    return dir;
  }

  cleanup(): void {
    for (const remove of this.removers.splice(0)) remove();
  }
}

export function writeFile(root: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const full = path.join(root, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
  fs.chmodSync(full, mode);
}

export function setXattr(file: string, name: string, value: string): void {
  execFileSync("python3", [
    "-c",
    "import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode())",
    file,
    name,
    value,
  ]);
}

export function testLimits(overrides: Partial<BaselineLimits> = {}): BaselineLimits {
  return resolveLimits({ hashConcurrency: 2, ...overrides });
}

export const ELF_HEAD = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export const isRoot = process.getuid?.() === 0;

/** A logger whose records the test can read. */
export function capturingLogger(): { logger: Logger; records: { msg: string; [k: string]: unknown }[] } {
  const records: { msg: string }[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => records.push(JSON.parse(line)) });
  return { logger, records };
}
