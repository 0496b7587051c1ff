// Per-exec cost of the eBPF sensor (the sched_process_exec tracepoint here; the LSM
// programs where the kernel runs them), configured as the agent configures it (the host's
// mount namespace known, the marked filesystems and the container's overlay watched, the
// container registered in audit): fork+exec+wait of /bin/true on the host, of an image
// binary in a "container" (overlay root, own mount namespace and cgroup: the full judgement
// of every container exec, including the lookup of the file at the new program's first
// instruction), and of a memfd copy in the container (every exec a fileless finding), with
// no sensor, with the sensor as shipped (ring buffer wake-ups batched) and with a wake-up
// per event (wakeupBytes 1), alternating over rounds in this same run. Also the programs'
// own run time from the kernel (bpf_stats_enabled) and the ring-buffer wake-ups per event.
// Then the LSM programs, which this machine's kernel refuses: in the QEMU guest of the
// LSM test (Debian's 6.12 cloud kernel, emulated by TCG, so only ratios within the guest
// mean anything), the programs' share of a fork+exec and per-program run times.
// BENCH_LSM=0 skips the guest.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import type { BpfSensorStats, NativeBpfSensor } from "../../src/native/bpfBinding";
import { nativeBinding } from "../../src/native/binding";
import { runLsmGuest } from "../integration/bpf/qemuGuest";
import { buildTestProgram, cgroupIdOf } from "../integration/bpf/sensorHelpers";
import { scratchDir } from "../testbed/ociImage";
import { bedArgv, busyboxLower, createOverlayBed, type OverlayBed } from "../testbed/overlayBed";
import { buildC, emit, median, ratio } from "./benchUtil";

const EXECS = Number(process.env.BENCH_EXECS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled";

type Condition = "none" | "batched" | "wake_each";
type Scenario = "host" | "container" | "fileless";

interface Sample {
  p50: number;
  p99: number;
  mean: number;
  programNs?: number; // mean run time of the sensor's programs per call, from the kernel
  events?: number;
  readerWakeups?: number;
  forcedWakeups?: number;
}

function runExecbench(argv: string[]): Promise<{ p50_us: number; p99_us: number; mean_us: number; failed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${argv.join(" ")} exited ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

/** Mean ns per run of the sensor's programs (bpftool; needs bpf_stats_enabled). */
function programNs(): number | undefined {
  const progs = JSON.parse(execFileSync("bpftool", ["-j", "prog", "show"], { encoding: "utf8" })) as {
    name?: string;
    run_time_ns?: number;
    run_cnt?: number;
  }[];
  let ns = 0;
  let count = 0;
  for (const p of progs) {
    if (!p.name?.startsWith("dg_") || !p.run_cnt) continue;
    ns += p.run_time_ns ?? 0;
    count += p.run_cnt;
  }
  return count > 0 ? Math.round(ns / count) : undefined;
}

/** Starts the sensor as the agent does, the bed's container registered in audit and its filesystems watched. */
function agentLikeSensor(bed: OverlayBed, wakeEach: boolean): NativeBpfSensor {
  const { BpfSensor } = nativeBinding();
  const hostMountNamespace = fs.statSync("/proc/self/ns/mnt").ino;
  const sensor = new BpfSensor(
    { hostMountNamespace, ...(wakeEach ? { wakeupBytes: 1 } : {}) },
    () => undefined, // findings are counted by the sensor's stats
  );
  const c = sensor.start();
  if (!c.tracepoint && !c.lsm) throw new Error(`sensor has no coverage: ${c.reasons.join("; ")}`);
  const cgroupId = cgroupIdOf(bed.cgroupDir);
  sensor.putContainers([{ cgroupId, containerId: "bench", execMode: "audit", libraryMode: "audit" }]);
  const watched = [bed.merged, path.join(bed.merged, "data"), bed.lowerDir, "/"].map((p) => fs.statSync(p).dev);
  sensor.watchFilesystems([...new Set(watched)]);
  return sensor;
}

export async function bench(): Promise<void> {
  const scratch = scratchDir("bench-bpf");
  const statsBefore = fs.existsSync(BPF_STATS) ? fs.readFileSync(BPF_STATS, "utf8").trim() : undefined;
  let sensor: NativeBpfSensor | undefined;
  let bed: OverlayBed | undefined;
  try {
    const execbench = buildC("execbench", scratch.dir, ["-static"]);
    const fileless = buildTestProgram("fileless", scratch.dir);
    bed = createOverlayBed((lower) => {
      busyboxLower(lower);
      fs.copyFileSync(execbench, path.join(lower, "bin", "execbench"));
      fs.copyFileSync(fileless, path.join(lower, "bin", "fileless"));
      fs.mkdirSync(path.join(lower, "proc"));
    });
    if (statsBefore !== undefined) fs.writeFileSync(BPF_STATS, "1");
    const inBed = (script: string) => bedArgv(bed!, script);
    const argv: Record<Scenario, string[]> = {
      host: [execbench, String(EXECS), "/bin/true"],
      container: inBed(`exec /bin/execbench ${EXECS} /bin/true`),
      // A memfd holding /bin/true stays open as fd 3; every exec of /proc/self/fd/3 is fileless.
      fileless: inBed(
        `mount -t proc proc /proc && exec /bin/fileless hold dg-bench /bin/true /bin/execbench ${EXECS} /proc/self/fd/3`,
      ),
    };
    const samples = new Map<string, Sample[]>();
    const coverage: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const condition of ["none", "batched", "wake_each"] as Condition[]) {
        if (condition !== "none") {
          sensor = agentLikeSensor(bed, condition === "wake_each");
          const c = sensor.coverage();
          if (coverage.length === 0) coverage.push(c.lsm ? "lsm" : c.entryChecked ? "tp_btf" : "raw_tp");
        }
        for (const scenario of ["host", "container", "fileless"] as Scenario[]) {
          await runExecbench(argv[scenario]); // warm-up
          await new Promise((resolve) => setTimeout(resolve, 250)); // its findings drained
          const before: BpfSensorStats | undefined = sensor?.stats();
          const r = await runExecbench(argv[scenario]);
          await new Promise((resolve) => setTimeout(resolve, 250)); // the reader's last drain
          const after = sensor?.stats();
          const sample: Sample = { p50: r.p50_us, p99: r.p99_us, mean: r.mean_us };
          if (before && after) {
            sample.programNs = programNs();
            sample.events = after.eventsRead - before.eventsRead;
            sample.readerWakeups = after.readerWakeups - before.readerWakeups;
            sample.forcedWakeups = after.forcedWakeups - before.forcedWakeups;
          }
          const key = `${condition}/${scenario}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
        sensor?.close();
        sensor = undefined;
      }
    }
    report(samples, coverage[0] ?? "none");
    if (process.env.BENCH_LSM !== "0") await lsmInGuest();
  } finally {
    sensor?.close();
    bed?.remove();
    if (statsBefore !== undefined) fs.writeFileSync(BPF_STATS, statsBefore);
    scratch.remove();
  }
}

function report(samples: Map<string, Sample[]>, path: string): void {
  process.stdout.write(
    `eBPF sensor (${path}), ${EXECS} fork+exec+wait x ${ROUNDS} rounds, median of rounds (µs)\n` +
      "scenario  condition  p50     p99     mean    +mean_us  mean/none  prog_ns  events  wakeups/event\n",
  );
  for (const scenario of ["host", "container", "fileless"] as Scenario[]) {
    const base = summarize(samples.get(`none/${scenario}`)!);
    for (const condition of ["none", "batched", "wake_each"] as Condition[]) {
      const s = summarize(samples.get(`${condition}/${scenario}`)!);
      const wakeupsPerEvent = s.events ? Math.round(((s.readerWakeups ?? 0) / s.events) * 10000) / 10000 : 0;
      const line = {
        bench: "bpf",
        path,
        scenario,
        condition,
        p50_us: s.p50,
        p99_us: s.p99,
        mean_us: s.mean,
        added_mean_us: Math.round((s.mean - base.mean) * 10) / 10,
        mean_vs_none: ratio(s.mean, base.mean),
        program_ns: s.programNs ?? null,
        events: s.events ?? 0,
        reader_wakeups: s.readerWakeups ?? 0,
        wakeups_per_event: wakeupsPerEvent,
      };
      process.stdout.write(
        `${scenario.padEnd(9)} ${condition.padEnd(10)} ${String(s.p50).padEnd(7)} ${String(s.p99).padEnd(7)} ` +
          `${String(s.mean).padEnd(7)} ${String(line.added_mean_us).padEnd(9)} ${String(line.mean_vs_none).padEnd(10)} ` +
          `${String(line.program_ns ?? "-").padEnd(8)} ${String(line.events).padEnd(7)} ${wakeupsPerEvent}\n`,
      );
      emit(line);
    }
  }
}

/** The guest prints "# bench ..." lines (test/integration/bpf/guest/lsmguest.cc). */
async function lsmInGuest(): Promise<void> {
  const guest = await runLsmGuest("linux-image-6.12-cloud-amd64", 600_000);
  const lines = guest.output.split(/\r?\n/).filter((l) => l.startsWith("# bench"));
  if (lines.length === 0) throw new Error(`the LSM guest printed no bench lines:\n${guest.output.slice(-3000)}`);
  process.stdout.write(`LSM programs in a QEMU guest (${guest.release}, TCG-emulated: compare within a line only)\n`);
  for (const line of lines) process.stdout.write(`  ${line.slice("# bench ".length)}\n`);
  const perExec = /programs per exec: (\d+) ns of (\d+) ns/.exec(lines.join("\n"));
  const execs = /fork \+ exec \+ wait .*: (\d+) ns without the sensor, (\d+) ns with it/.exec(lines.join("\n"));
  emit({
    bench: "bpf",
    path: "lsm_guest_tcg",
    kernel: guest.release,
    programs_ns_per_exec_emulated: perExec ? Number(perExec[1]) : null,
    programs_share_of_exec: perExec ? Math.round((Number(perExec[1]) / Number(perExec[2])) * 1e5) / 1e5 : null,
    exec_with_vs_without: execs ? ratio(Number(execs[2]), Number(execs[1])) : null,
  });
}

function summarize(list: Sample[]): Sample {
  const pick = (f: (s: Sample) => number | undefined) => {
    const values = list.map(f).filter((v): v is number => v !== undefined);
    return values.length ? median(values) : undefined;
  };
  return {
    p50: pick((s) => s.p50)!,
    p99: pick((s) => s.p99)!,
    mean: pick((s) => s.mean)!,
    programNs: pick((s) => s.programNs),
    events: pick((s) => s.events),
    readerWakeups: pick((s) => s.readerWakeups),
    forcedWakeups: pick((s) => s.forcedWakeups),
  };
}
