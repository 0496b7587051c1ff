// The hostile-image scenario shared by the test (scaled) and the benchmark (millions of
// entries): a containerd test bed with a normal image and a generated image of many
// entries, the agent in enforce mode (in a memory cgroup like the DaemonSet's), one
// container of each; then what an attacker and an operator would check.
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, type Finding, type LogLine } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { ContainerdTestBed, type ExecResult } from "../../testbed/ContainerdTestBed";
import { buildGeneratedImage, type GeneratedLayer } from "../../testbed/generatedImage";
import { createMemoryCgroup, type MemoryCgroup } from "../../testbed/memoryCgroup";
import { busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { buildDriftImage } from "./driftImage";

export const HOSTILE_IMAGE = "evil.example/huge:1";
export const NORMAL_IMAGE = "test.local/drift:1";
export const OVER_BUDGET = "image over its baseline budget; ";

export interface HostileOptions {
  layers: GeneratedLayer[];
  /** Agent flags beyond the bed's (e.g. a scaled budget). */
  agentArgs?: string[];
  /** Runs the agent in a memory cgroup of this limit (the DaemonSet's is 1 GiB). */
  memoryLimitBytes?: number;
}

export class HostileScenario {
  readonly timings: Record<string, number> = {};
  bed?: ContainerdTestBed;
  agent?: AgentProcess;
  cgroup?: MemoryCgroup;
  private readonly scratch = scratchDir("hostile");

  constructor(private readonly options: HostileOptions) {}

  /** Everything up to both containers running and the agent attached to both. */
  async start(): Promise<void> {
    const { options, scratch } = this;
    const hostile = await this.timed("generateMs", () =>
      buildGeneratedImage(scratch.dir, HOSTILE_IMAGE, busyboxLayer(), options.layers),
    );
    const bed = (this.bed = await ContainerdTestBed.start());
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    // containerd unpacks ~10 000 entries a second here, fewer under load: ctr's usual timeout is too short.
    await this.timed("importMs", () => importSlowly(bed, hostile.archive));
    fs.rmSync(path.dirname(hostile.archive), { recursive: true, force: true }); // GBs of blobs no longer needed
    if (options.memoryLimitBytes) this.cgroup = createMemoryCgroup(options.memoryLimitBytes);
    const stateDir = path.join(scratch.dir, "state");
    const args = bedAgentArgs(bed, { mode: "enforce", stateDir }, ...(options.agentArgs ?? []));
    this.agent = await AgentProcess.start(args, {}, this.cgroup?.wrapper ?? []);
    await bed.run("normal", NORMAL_IMAGE, ["sleep", "100000"]);
    const started = performance.now();
    await bed.run("huge", HOSTILE_IMAGE, ["sleep", "100000"]);
    await this.agent.waitFor((l) => l.msg === "container attached" && l.container === "huge", 60000);
    await this.agent.waitFor((l) => isOverBudget(l), 600000);
    this.timings.reportedMs = Math.round(performance.now() - started);
  }

  /**
   * Another generated image on the same node (layers shared with the hostile one are not
   * unpacked again), a container of it running and its baseline ready; returns the ms
   * from the container's start to "image baseline ready".
   */
  async addImage(name: string, layers: GeneratedLayer[], container: string): Promise<number> {
    const image = await buildGeneratedImage(this.scratch.dir, name, busyboxLayer(), layers);
    await importSlowly(this.bed!, image.archive);
    fs.rmSync(path.dirname(image.archive), { recursive: true, force: true });
    const started = performance.now();
    await this.bed!.run(container, name, ["sleep", "100000"]);
    await this.agent!.waitFor((l) => l.msg === "image baseline ready" && l.image === name, 600000);
    return Math.round(performance.now() - started);
  }

  overBudgetReports(): LogLine[] {
    return this.agent!.lines.filter(isOverBudget);
  }

  /** A shell command in a container. */
  sh(container: string, script: string): Promise<ExecResult> {
    return this.bed!.exec(container, ["/bin/sh", "-c", script]);
  }

  /** Copies busybox to the container's writable layer and runs it: drift. */
  async drift(container: string, name: string): Promise<{ run: ExecResult; finding: Finding }> {
    const target = `/tmp/${name}/echo`;
    const run = await this.sh(container, `mkdir -p /tmp/${name} && cp /bin/busybox ${target} && ${target} drift-ran`);
    const line = await this.agent!.waitFor((l) => l.finding?.path === target && l.finding.container.id === container);
    return { run, finding: line.finding! };
  }

  /** The agent's peak and current RSS in MiB (VmHWM, VmRSS). */
  rssMiB(): { peak: number; now: number } {
    const status = fs.readFileSync(`/proc/${this.agent!.pid}/status`, "utf8");
    const mib = (field: string) => Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]) / 1024);
    return { peak: mib("VmHWM"), now: mib("VmRSS") };
  }

  async stop(): Promise<void> {
    try {
      await this.agent?.stop();
      await this.bed?.stop();
    } finally {
      this.cgroup?.remove();
      this.scratch.remove();
    }
  }

  private async timed<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await work();
    this.timings[name] = Math.round(performance.now() - started);
    return result;
  }
}

async function importSlowly(bed: ContainerdTestBed, archive: string): Promise<void> {
  const result = await runCommand(
    "ctr",
    ["-a", bed.address, "-n", bed.namespace, "images", "import", archive],
    3600_000,
  );
  if (result.code !== 0) throw new Error(`ctr images import failed (exit ${result.code}): ${result.stderr}`);
}

export function isOverBudget(line: LogLine): boolean {
  return line.msg.startsWith(OVER_BUDGET) && line.image === HOSTILE_IMAGE;
}
