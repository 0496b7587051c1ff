// Shared pieces of the eBPF sensor tests: the fileless test program, a started sensor that
// collects its findings, cgroup ids.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { type BpfSensorOptions, type NativeBpfSensor, type SensorFinding } from "../../../src/native/bpfBinding";
import { nativeBinding } from "../../../src/native/binding";

const SOURCE_DIR = path.resolve(__dirname, "..", "..", "..", "..", "test", "integration", "bpf", "native");

/** Compiles test/integration/bpf/native/<name>.c into dir (static unless told otherwise). */
export function buildTestProgram(name: string, dir: string, flags: string[] = ["-static"]): string {
  const out = path.join(dir, name);
  execFileSync("gcc", ["-O2", "-Wall", ...flags, "-o", out, path.join(SOURCE_DIR, `${name}.c`)]);
  return out;
}

/** The cgroup v2 id of a cgroup directory: its inode number in the cgroup2 mount. */
export function cgroupIdOf(cgroupDir: string): number {
  return fs.statSync(cgroupDir).ino;
}

export interface StartedSensor {
  sensor: NativeBpfSensor;
  findings: SensorFinding[];
  /** Resolves with the findings matching once at least one arrived; rejects after timeoutMs. */
  waitFor(match: (f: SensorFinding) => boolean, timeoutMs?: number): Promise<SensorFinding[]>;
  /** Waits long enough for anything queued to be delivered (two flush intervals). */
  settle(): Promise<void>;
}

export function startSensor(options: BpfSensorOptions): StartedSensor {
  const findings: SensorFinding[] = [];
  const { BpfSensor } = nativeBinding();
  const sensor = new BpfSensor({ flushIntervalMs: 20, ...options }, (batch) => findings.push(...batch));
  sensor.start();
  const interval = options.flushIntervalMs ?? 20;
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, interval * 2 + 20));
    sensor.flushFindings();
  };
  const waitFor = async (match: (f: SensorFinding) => boolean, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = findings.filter(match);
      if (found.length > 0) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching finding after ${timeoutMs} ms; got ${JSON.stringify(findings, null, 1)}`);
      }
      await settle();
    }
  };
  return { sensor, findings, waitFor, settle };
}
