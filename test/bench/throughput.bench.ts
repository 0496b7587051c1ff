// Decision throughput: P processes in one container exec an image binary as fast as they
// can (P = 1, 2, 4 = 2x cores, 8), with no agent and with driftguard in enforce mode:
// decisions per second and per-process p99, to see where latency degrades.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { AgentProcess } from "../testbed/AgentProcess";
import { ContainerdTestBed } from "../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../testbed/ociImage";
import { buildC, emit, ratio } from "./benchUtil";
import { bedAgentArgs } from "../testbed/agentArgs";

const EXECS = Number(process.env.BENCH_EXECS ?? 1000);

interface Run {
  execsPerSecond: number;
  worstP99: number;
}

export async function bench(): Promise<void> {
  const scratch = scratchDir("bench-throughput");
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  try {
    const execbench = fs.readFileSync(buildC("execbench", scratch.dir, ["-static"]));
    const image = buildOciImage(scratch.dir, "bench.local/throughput:1", [
      [...busyboxLayer(), { kind: "file", path: "bin/execbench", content: execbench, mode: 0o755 }],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    await bed.run("c", image.name, ["sleep", "100000"]);
    const parallelism = [1, 2, os.availableParallelism() * 2, os.availableParallelism() * 4];
    const run = async (p: number): Promise<Run> => {
      // One shell starts p loops at once and waits for all; each prints its JSON line.
      const script = `i=0; while [ $i -lt ${p} ]; do /bin/execbench ${EXECS} /bin/true & i=$((i+1)); done; wait`;
      const started = performance.now();
      const result = await bed!.exec("c", ["/bin/sh", "-c", script]);
      const seconds = (performance.now() - started) / 1000;
      const lines = result.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { p99_us: number });
      return { execsPerSecond: Math.round((p * EXECS) / seconds), worstP99: Math.max(...lines.map((l) => l.p99_us)) };
    };
    const measureAll = async () => {
      const out = new Map<number, Run>();
      for (const p of parallelism) {
        await run(p); // warm-up
        out.set(p, await run(p));
      }
      return out;
    };
    const none = await measureAll();
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }));
    const guarded = await measureAll();
    process.stdout.write("processes  none execs/s  driftguard execs/s  ratio  none worst p99  driftguard worst p99\n");
    for (const p of parallelism) {
      const a = none.get(p)!;
      const b = guarded.get(p)!;
      const line = {
        bench: "throughput",
        processes: p,
        none_execs_per_s: a.execsPerSecond,
        driftguard_execs_per_s: b.execsPerSecond,
        throughput_ratio: ratio(b.execsPerSecond, a.execsPerSecond),
        none_worst_p99_us: a.worstP99,
        driftguard_worst_p99_us: b.worstP99,
      };
      process.stdout.write(
        `${String(p).padEnd(10)} ${String(a.execsPerSecond).padEnd(13)} ${String(b.execsPerSecond).padEnd(19)} ` +
          `${String(line.throughput_ratio).padEnd(6)} ${String(a.worstP99).padEnd(14)} ${b.worstP99}\n`,
      );
      emit(line);
    }
  } finally {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  }
}
