// Exec latency inside a container (fork+exec+wait, p50 and p99) for an image binary, a
// copied-up unchanged binary, a blocked binary, and a host process: with no agent, with a
// minimal C fanotify listener that allows everything (the physical floor of fanotify),
// and with driftguard agent in enforce mode. Conditions alternate over several rounds and
// the median per condition is reported, with ratios measured in this same run.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";

import { AgentProcess } from "../testbed/AgentProcess";
import { ContainerdTestBed } from "../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../testbed/ociImage";
import { buildC, emit, median, ratio } from "./benchUtil";
import { bedAgentArgs } from "../testbed/agentArgs";
import { sample, scrape } from "../testbed/metricsScrape";

const EXECS = Number(process.env.BENCH_EXECS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const IMAGE_DECISIONS = 'driftguard_exec_decisions_total{verdict="allowed",reason="image"}';

type Condition = "none" | "allowall" | "driftguard";
type Scenario = "image" | "copied_up" | "blocked" | "host";

interface Sample {
  p50: number;
  p99: number;
}

async function startAllowAll(binary: string, paths: string[]): Promise<ChildProcess> {
  const child = spawn(binary, paths, { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once("line", () => resolve());
    child.once("exit", (code) => reject(new Error(`allowall exited ${code}`)));
  });
  return child;
}

export async function bench(): Promise<void> {
  const scratch = scratchDir("bench-exec");
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  let allowAll: ChildProcess | undefined;
  try {
    const execbench = buildC("execbench", scratch.dir, ["-static"]);
    const allowAllBinary = buildC("allowall", scratch.dir);
    const busybox = fs.readFileSync("/bin/busybox");
    const image = buildOciImage(scratch.dir, "bench.local/exec:1", [
      [
        ...busyboxLayer(),
        { kind: "file", path: "bin/execbench", content: fs.readFileSync(execbench), mode: 0o755 },
        { kind: "file", path: "opt/cu/true", content: busybox, mode: 0o755 },
      ],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    await bed.run("bench", image.name, ["sleep", "100000"]);
    // The copied-up case: same content, now served from the writable layer.
    await bed.exec("bench", ["/bin/sh", "-c", "touch /opt/cu/true && mkdir -p /tmp/b && cp /bin/busybox /tmp/b/true"]);

    const run = async (scenario: Scenario): Promise<Sample> => {
      const target = { image: "/bin/true", copied_up: "/opt/cu/true", blocked: "/tmp/b/true", host: "" }[scenario];
      const result =
        scenario === "host"
          ? await runHost(execbench)
          : await bed!.exec("bench", ["/bin/execbench", String(EXECS), target]);
      const parsed = JSON.parse(result.stdout.trim().split("\n").pop()!) as { p50_us: number; p99_us: number };
      return { p50: parsed.p50_us, p99: parsed.p99_us };
    };
    const runHost = async (binary: string) => {
      const out = await new Promise<string>((resolve) => {
        const child = spawn(binary, [String(EXECS), "/bin/true"]);
        let text = "";
        child.stdout.on("data", (d: Buffer) => (text += d.toString()));
        child.on("exit", () => resolve(text));
      });
      return { stdout: out };
    };

    // With the fast path, how many of an image run's execs still raised an event (each
    // runtime exec, this bench's own `ctr task exec` too, pauses the ignore marks). Only this
    // bed's image files are image decisions of this agent: other runs' execs do not count.
    let metricsUrl = "";
    const eventsNow = async () => (metricsUrl ? sample(await scrape(metricsUrl), IMAGE_DECISIONS) : 0);
    const imageEventShares: number[] = [];
    const samples = new Map<string, Sample[]>();
    const record = (condition: Condition, scenario: Scenario, sample: Sample) => {
      const key = `${condition}/${scenario}`;
      samples.set(key, [...(samples.get(key) ?? []), sample]);
    };
    const scenarios: Scenario[] = ["image", "copied_up", "blocked", "host"];
    const snapshotRoot = path.join(bed.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    for (let round = 0; round < ROUNDS; round++) {
      for (const condition of ["none", "allowall", "driftguard"] as Condition[]) {
        if (condition === "allowall") allowAll = await startAllowAll(allowAllBinary, [snapshotRoot]);
        if (condition === "driftguard") {
          agent = await AgentProcess.start(
            bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }),
          );
          const listening = await agent.waitFor((l) => l.msg === "metrics and health endpoints listening");
          metricsUrl = `http://127.0.0.1:${listening.port as number}`;
        }
        for (const scenario of scenarios) {
          await run(scenario); // warm-up: caches, first hash of the copied-up file
          const eventsBefore = await eventsNow();
          record(condition, scenario, await run(scenario));
          if (agent && scenario === "image") imageEventShares.push(((await eventsNow()) - eventsBefore) / EXECS);
        }
        if (allowAll) {
          allowAll.kill("SIGTERM");
          await new Promise((resolve) => allowAll!.once("exit", resolve));
          allowAll = undefined;
        }
        if (agent) {
          await agent.stop();
          agent = undefined;
          metricsUrl = "";
        }
      }
    }

    const eventShare = median(imageEventShares);
    process.stdout.write(
      `image execs that raised a fanotify event with driftguard (median of rounds): ${eventShare}\n`,
    );
    emit({ bench: "exec", scenario: "image", condition: "driftguard", events_per_exec: eventShare });
    process.stdout.write(`exec latency, ${EXECS} execs x ${ROUNDS} rounds, median of rounds (µs)\n`);
    process.stdout.write("scenario    condition   p50      p99      p50/none p99/none p50/allowall\n");
    for (const scenario of scenarios) {
      const base = summarize(samples.get(`none/${scenario}`)!);
      const floor = summarize(samples.get(`allowall/${scenario}`)!);
      for (const condition of ["none", "allowall", "driftguard"] as Condition[]) {
        const s = summarize(samples.get(`${condition}/${scenario}`)!);
        const line = {
          bench: "exec",
          scenario,
          condition,
          p50_us: s.p50,
          p99_us: s.p99,
          p50_vs_none: ratio(s.p50, base.p50),
          p99_vs_none: ratio(s.p99, base.p99),
          p50_vs_allowall: ratio(s.p50, floor.p50),
        };
        process.stdout.write(
          `${scenario.padEnd(11)} ${condition.padEnd(11)} ${String(s.p50).padEnd(8)} ${String(s.p99).padEnd(8)} ` +
            `${String(line.p50_vs_none).padEnd(8)} ${String(line.p99_vs_none).padEnd(8)} ${line.p50_vs_allowall}\n`,
        );
        emit(line);
      }
    }
  } finally {
    allowAll?.kill("SIGKILL");
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  }
}

function summarize(samples: Sample[]): Sample {
  return { p50: median(samples.map((s) => s.p50)), p99: median(samples.map((s) => s.p99)) };
}
