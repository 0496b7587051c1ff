// Node scale: exec latency inside one container with 1, 30 and 300 containers attached
// (20 images sharing a base layer), against the same loop with no agent in this run; the
// agent's RSS and CPU at idle and under a burst of execs at each size.
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess } from "../testbed/AgentProcess";
import { ContainerdTestBed } from "../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir, type LayerEntry } from "../testbed/ociImage";
import { cpuShareDuring, rssMiB, sleep } from "./agentResources";
import { buildC, emit, ratio } from "./benchUtil";
import { bedAgentArgs } from "../testbed/agentArgs";

const SIZES = (process.env.BENCH_SCALE_SIZES ?? "1,30,300").split(",").map(Number);
const IMAGES = 20;
const EXECS = Number(process.env.BENCH_EXECS ?? 2000);

interface Latency {
  p50_us: number;
  p99_us: number;
  n: number;
}

export async function bench(): Promise<void> {
  const scratch = scratchDir("bench-scale");
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  try {
    const execbench = fs.readFileSync(buildC("execbench", scratch.dir, ["-static"]));
    const base: LayerEntry[] = [
      ...busyboxLayer(),
      { kind: "file", path: "bin/execbench", content: execbench, mode: 0o755 },
    ];
    bed = await ContainerdTestBed.start();
    const names: string[] = [];
    for (let i = 0; i < IMAGES; i++) {
      const own: LayerEntry[] = [
        { kind: "file", path: `opt/app${i}/run.sh`, content: `#!/bin/sh\necho ${i}\n`, mode: 0o755 },
      ];
      const image = buildOciImage(scratch.dir, `bench.local/app${i}:1`, [base, own]);
      await bed.importImage(image.archive);
      names.push(image.name);
    }
    await bed.run("c0", names[0], ["sleep", "100000"]);
    const measure = async (): Promise<Latency> => {
      const result = await bed!.exec("c0", ["/bin/execbench", String(EXECS), "/bin/true"]);
      return JSON.parse(result.stdout.trim()) as Latency;
    };
    await measure(); // warm-up
    const without = await measure();
    process.stdout.write(`no agent, 1 container: p50 ${without.p50_us} µs, p99 ${without.p99_us} µs\n`);

    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }));
    let running = 1;
    process.stdout.write(
      "containers  p50(µs) p99(µs) p50/none p99/none rss(MiB) idle-cpu(%) burst-cpu(%) burst-execs/s\n",
    );
    for (const size of SIZES) {
      for (; running < size; running++) await bed.run(`c${running}`, names[running % IMAGES], ["sleep", "100000"]);
      await agent.waitFor(() => agent!.lines.filter((l) => l.msg === "container attached").length >= size, 120000);
      await sleep(1000); // let attach work settle before measuring idle
      const idleCpu = await cpuShareDuring(agent.pid, () => sleep(5000));
      await measure(); // warm-up at this size
      let latency: Latency = without;
      const burstStarted = performance.now();
      const burstCpu = await cpuShareDuring(agent.pid, async () => (latency = await measure()));
      const execsPerSecond = Math.round(EXECS / ((performance.now() - burstStarted) / 1000));
      const line = {
        bench: "scale",
        containers: size,
        p50_us: latency.p50_us,
        p99_us: latency.p99_us,
        p50_vs_none: ratio(latency.p50_us, without.p50_us),
        p99_vs_none: ratio(latency.p99_us, without.p99_us),
        rss_mib: rssMiB(agent.pid),
        idle_cpu_percent: idleCpu,
        burst_cpu_percent: burstCpu,
        burst_execs_per_s: execsPerSecond,
      };
      process.stdout.write(
        `${String(size).padEnd(11)} ${String(line.p50_us).padEnd(7)} ${String(line.p99_us).padEnd(7)} ` +
          `${String(line.p50_vs_none).padEnd(8)} ${String(line.p99_vs_none).padEnd(8)} ${String(line.rss_mib).padEnd(8)} ` +
          `${String(idleCpu).padEnd(11)} ${String(burstCpu).padEnd(12)} ${execsPerSecond}\n`,
      );
      emit(line);
    }
  } finally {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  }
}
