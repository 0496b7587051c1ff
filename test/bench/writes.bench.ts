// The write tracking's cost on a write-heavy container: untarring 10 000 small files into
// the writable layer, with no agent, with the agent and --write-tracking off, and with it
// on (FAN_MODIFY | FAN_CLOSE_WRITE on the snapshots' filesystem). Conditions alternate
// over rounds; the median per condition is reported, with ratios from this same run. The
// per-exec cost is exec.bench's: write tracking adds no work to the exec path.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess } from "../testbed/AgentProcess";
import { bedAgentArgs } from "../testbed/agentArgs";
import { ContainerdTestBed } from "../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../testbed/ociImage";
import { emit, median, ratio } from "./benchUtil";

const FILES = Number(process.env.BENCH_FILES ?? 10000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
type Condition = "none" | "tracking_off" | "tracking_on";

export async function bench(): Promise<void> {
  const scratch = scratchDir("bench-writes");
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  try {
    const tree = path.join(scratch.dir, "tree");
    for (let d = 0; d < FILES / 100; d++) {
      fs.mkdirSync(path.join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < 100; f++) fs.writeFileSync(path.join(tree, `d${d}`, `f${f}`), Buffer.alloc(1024, f));
    }
    const tar = path.join(scratch.dir, "files.tar");
    execFileSync("tar", ["-cf", tar, "-C", tree, "."]);
    const image = buildOciImage(scratch.dir, "bench.local/writes:1", [
      [...busyboxLayer(), { kind: "file", path: "opt/files.tar", content: fs.readFileSync(tar), mode: 0o644 }],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    await bed.run("writes", image.name, ["sleep", "100000"]);

    const timed = async (script: string): Promise<number> => {
      const start = process.hrtime.bigint();
      const result = await bed!.exec("writes", ["/bin/sh", "-c", script]);
      if (result.code !== 0) throw new Error(`${script}: exit ${result.code}: ${result.stderr}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // ctr task exec's own cost, measured each time and subtracted.
    const untarMs = async () => {
      await timed("rm -rf /tmp/u");
      const overhead = await timed("true");
      return (await timed("mkdir /tmp/u && tar -xf /opt/files.tar -C /tmp/u")) - overhead;
    };

    const samples = new Map<Condition, number[]>();
    const conditions: Condition[] = ["none", "tracking_off", "tracking_on"];
    for (let round = 0; round < ROUNDS; round++) {
      for (const condition of conditions) {
        if (condition !== "none") {
          const stateDir = path.join(scratch.dir, "state");
          const tracking = condition === "tracking_on" ? "on" : "off";
          agent = await AgentProcess.start(
            bedAgentArgs(bed, { mode: "enforce", stateDir }, "--write-tracking", tracking),
          );
        }
        await untarMs(); // warm-up: page cache, the agent's attach
        samples.set(condition, [...(samples.get(condition) ?? []), await untarMs()]);
        if (agent) {
          await agent.stop();
          agent = undefined;
        }
      }
    }

    process.stdout.write(`untar of ${FILES} files of 1 KiB in a container, median of ${ROUNDS} rounds (ms)\n`);
    const base = median(samples.get("none")!);
    for (const condition of conditions) {
      const ms = Math.round(median(samples.get(condition)!));
      const line = { bench: "writes", condition, files: FILES, untar_ms: ms, vs_none: ratio(ms, base) };
      process.stdout.write(`${condition.padEnd(13)} ${String(ms).padEnd(7)} x${line.vs_none}\n`);
      emit(line);
    }
  } finally {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  }
}
