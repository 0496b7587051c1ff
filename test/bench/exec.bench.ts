// Exec latency inside a container (fork+exec+wait, p50 and p99) for an image binary, a
// copied-up unchanged binary, a blocked binary, and a host process: with no agent, with a
// minimal C fanotify listener that allows everything (the physical floor of fanotify),
// with the driftguard agent in enforce mode, and with the agent without its exec fast
// path (`--exec-ignore-marks 0`: every exec raises an event, as before the fast path), so
// that what the fast path costs non-image execs is measured in the same run. Conditions
// alternate over several rounds and the median per condition is reported.
import { execFile, spawn, type ChildProcess } from "node:child_process";
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

type Condition = "none" | "allowall" | "driftguard" | "nomarks";
const CONDITIONS: Condition[] = ["none", "allowall", "driftguard", "nomarks"];
type Scenario = "image" | "image_probed" | "copied_up" | "blocked" | "host";

// Every exec of the OCI runtime flushes the fast path's marks (a container may be starting),
// also the `runc exec` of a kubelet exec probe: 5 per second is 50 pods probed every 10 s.
// The bench execs the runtime binary itself (`runc --version`): to the agent, the same exec.
const PROBES_PER_SECOND = Number(process.env.BENCH_PROBES_PER_SECOND ?? 5);
const RUNTIME = ["/usr/sbin/runc", "/usr/bin/runc"].find((p) => fs.existsSync(p)) ?? "runc";

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
      const target = {
        image: "/bin/true",
        image_probed: "/bin/true",
        copied_up: "/opt/cu/true",
        blocked: "/tmp/b/true",
        host: "",
      }[scenario];
      const probes = scenario === "image_probed" ? startProbes() : undefined;
      const result =
        scenario === "host"
          ? await runHost(execbench)
          : await bed!.exec("bench", ["/bin/execbench", String(EXECS), target]).finally(() => probes?.stop());
      const parsed = JSON.parse(result.stdout.trim().split("\n").pop()!) as { p50_us: number; p99_us: number };
      return { p50: parsed.p50_us, p99: parsed.p99_us };
    };
    const startProbes = () => {
      const timer = setInterval(() => execFile(RUNTIME, ["--version"], () => undefined), 1000 / PROBES_PER_SECOND);
      return { stop: () => clearInterval(timer) };
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
    const eventShares = new Map<Scenario, number[]>();
    const samples = new Map<string, Sample[]>();
    const record = (condition: Condition, scenario: Scenario, sample: Sample) => {
      const key = `${condition}/${scenario}`;
      samples.set(key, [...(samples.get(key) ?? []), sample]);
    };
    const scenarios: Scenario[] = ["image", "image_probed", "copied_up", "blocked", "host"];
    const snapshotRoot = path.join(bed.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with the next condition: none of them always follows the same one.
      const order = CONDITIONS.map((_, i) => CONDITIONS[(i + round) % CONDITIONS.length]);
      for (const condition of order) {
        if (condition === "allowall") allowAll = await startAllowAll(allowAllBinary, [snapshotRoot]);
        if (condition === "driftguard" || condition === "nomarks") {
          const args = bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") });
          if (condition === "nomarks") args.push("--exec-ignore-marks", "0");
          agent = await AgentProcess.start(args);
          const listening = await agent.waitFor((l) => l.msg === "metrics and health endpoints listening");
          metricsUrl = `http://127.0.0.1:${listening.port as number}`;
        }
        for (const scenario of scenarios) {
          await run(scenario); // warm-up: caches, first hash of the copied-up file
          const eventsBefore = await eventsNow();
          record(condition, scenario, await run(scenario));
          if (condition === "driftguard" && scenario.startsWith("image")) {
            const share = ((await eventsNow()) - eventsBefore) / EXECS;
            eventShares.set(scenario, [...(eventShares.get(scenario) ?? []), share]);
          }
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

    for (const [scenario, shares] of eventShares) {
      const share = median(shares);
      process.stdout.write(
        `${scenario} execs that raised a fanotify event with driftguard (median of rounds): ${share}\n`,
      );
      emit({ bench: "exec", scenario, condition: "driftguard", events_per_exec: share });
    }
    process.stdout.write(
      `image_probed: the same image execs while the host execs ${RUNTIME} ${PROBES_PER_SECOND} times a second\n`,
    );
    process.stdout.write(`exec latency, ${EXECS} execs x ${ROUNDS} rounds, median of rounds (µs)\n`);
    process.stdout.write("scenario    condition   p50      p99      p50/none p99/none p50/allowall\n");
    for (const scenario of scenarios) {
      const base = summarize(samples.get(`none/${scenario}`)!);
      const floor = summarize(samples.get(`allowall/${scenario}`)!);
      for (const condition of CONDITIONS) {
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
