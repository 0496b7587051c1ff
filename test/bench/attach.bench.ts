// Attach: 50 containers started at once, each of which runs a dropped binary as the very
// first thing it does. Reports the time from the start request until the agent enforced
// each container with its baseline, and checks every first drift was blocked (no window
// in which a new container runs under no policy).
import * as fs from "node:fs";
import * as path from "node:path";

import { buildDriftImage } from "../integration/agent/driftImage";
import { AgentProcess } from "../testbed/AgentProcess";
import { ContainerdTestBed } from "../testbed/ContainerdTestBed";
import { scratchDir } from "../testbed/ociImage";
import { emit, median } from "./benchUtil";
import { bedAgentArgs } from "../testbed/agentArgs";

const COUNT = Number(process.env.BENCH_ATTACH_COUNT ?? 50);

export async function bench(): Promise<void> {
  const scratch = scratchDir("bench-attach");
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  try {
    const out = path.join(scratch.dir, "out");
    fs.mkdirSync(out);
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }));
    const requested = new Map<string, number>();
    const running = new Map<string, number>();
    const started = Date.now();
    await Promise.all(
      Array.from({ length: COUNT }, async (_, i) => {
        const id = `burst${i}`;
        const script = `mkdir -p /tmp/z && cp /bin/busybox /tmp/z/echo; /tmp/z/echo x; echo rc=$? > /out/${id}; sleep 100000`;
        requested.set(id, Date.now());
        await bed!.run(id, "test.local/drift:1", ["/bin/sh", "-c", script], {
          mounts: [{ type: "bind", source: out, destination: "/out", options: ["rbind", "rw"] }],
        });
        running.set(id, Date.now()); // ctr run -d returns once the task has started
      }),
    );
    const runAllMs = Date.now() - started;
    await agent.waitFor(() => agent!.findings().length >= COUNT, 120000);
    const enforcedAt = new Map<string, number>();
    for (const line of agent.lines) {
      if (line.msg === "container enforced with its baseline" && typeof line.container === "string") {
        enforcedAt.set(line.container, Date.parse(String(line.time)));
      }
    }
    const delays = [...requested].map(([id, at]) => (enforcedAt.get(id) ?? NaN) - at).filter(Number.isFinite);
    // Negative: enforced before `ctr run` even returned.
    const afterRunning = [...running].map(([id, at]) => (enforcedAt.get(id) ?? NaN) - at).filter(Number.isFinite);
    // A finding is logged as the exec is refused; the shell writes its result a moment later.
    for (let i = 0; i < 200 && fs.readdirSync(out).length < COUNT; i++) await new Promise((r) => setTimeout(r, 50));
    const results = fs.readdirSync(out).map((f) => fs.readFileSync(path.join(out, f), "utf8").trim());
    const blocked = results.filter((r) => r === "rc=126").length;
    const line = {
      bench: "attach",
      containers: COUNT,
      start_all_ms: runAllMs,
      enforced: delays.length,
      enforced_after_start_request_ms_p50: median(delays),
      enforced_after_start_request_ms_max: Math.max(...delays),
      enforced_after_task_running_ms_p50: median(afterRunning),
      enforced_after_task_running_ms_max: Math.max(...afterRunning),
      first_drift_blocked: blocked,
      first_drift_reported: results.length,
      findings: agent.findings().length,
    };
    process.stdout.write(
      `${COUNT} containers started at once in ${runAllMs} ms; enforced with baseline after the start request: ` +
        `p50 ${line.enforced_after_start_request_ms_p50} ms, max ${line.enforced_after_start_request_ms_max} ms; ` +
        `after the task was running: p50 ${line.enforced_after_task_running_ms_p50} ms, max ${line.enforced_after_task_running_ms_max} ms; ` +
        `first drift blocked in ${blocked}/${results.length}\n`,
    );
    emit(line);
    if (blocked !== COUNT) throw new Error(`only ${blocked} of ${COUNT} first drifts were blocked`);
  } finally {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  }
}
