// A malicious image at full size (issue 12, item 6): three generated layers of 800 000
// entries each (2.4 M, one of them a single flat directory), each under the old per-layer
// limit of 2 M, on a node whose agent runs in a 1 GiB memory cgroup like the DaemonSet's,
// with the default image budget. Then the worst case an honest image can be: one just
// under the budget (the hostile image's first layer and 150 000 entries more), merged
// and put into the native tables. Prints the agent's peak RSS after each, the cgroup's
// peak and limit hits, the time to the over-budget report and to the baseline, and checks
// that the agent stayed up, reported the image once and still blocks drift in containers
// of a normal image and of the big one. BENCH_HOSTILE_ENTRIES (per layer) and
// BENCH_HOSTILE_LAYERS scale the hostile image.
import { HOSTILE_IMAGE, HostileScenario } from "../integration/agent/hostileScenario";
import { emit } from "./benchUtil";

const PER_LAYER = Number(process.env.BENCH_HOSTILE_ENTRIES ?? 800_000);
const LAYERS = Number(process.env.BENCH_HOSTILE_LAYERS ?? 3);
const LIMIT_BYTES = 1024 * 1024 * 1024;
/** The hostile image's first layer (unpacked once) and more, just under 1 000 000 entries. */
const BIG_BASE = { entries: PER_LAYER, perDir: 1000, top: "gen0" };
const BIG_TOP = { entries: 990_000 - PER_LAYER, perDir: 1000, top: "big" };

export async function bench(): Promise<void> {
  const scenario = new HostileScenario({
    layers: Array.from({ length: LAYERS }, (_, i) => ({
      entries: PER_LAYER,
      perDir: i === 1 ? 0 : 1000,
      top: `gen${i}`,
    })),
    memoryLimitBytes: LIMIT_BYTES,
  });
  const started = performance.now();
  try {
    await scenario.start();
    const [report, ...more] = scenario.overBudgetReports();
    const hostileImageExec = await scenario.sh("huge", "/bin/echo image-ok");
    const hostileDrift = await scenario.drift("huge", "x");
    const normalDrift = await scenario.drift("normal", "n");
    const rss = scenario.rssMiB();
    // An honest image just under the budget: its merge and native table are the peak.
    const bigMs = await scenario.addImage("big.example/at-budget:1", [BIG_BASE, BIG_TOP], "big");
    const bigReady = scenario.agent!.lines.find(
      (l) => l.msg === "image baseline ready" && l.image === "big.example/at-budget:1",
    )!;
    const bigDrift = await scenario.drift("big", "b");
    const rssBig = scenario.rssMiB();
    const failures = [
      more.length === 0 ? "" : `reported ${more.length + 1} times`,
      hostileImageExec.code === 0 ? "" : `an image exec in the hostile container failed: ${hostileImageExec.stderr}`,
      hostileDrift.run.code === 126 ? "" : `drift in the hostile container ran (exit ${hostileDrift.run.code})`,
      normalDrift.run.code === 126 ? "" : `drift in the normal container ran (exit ${normalDrift.run.code})`,
      bigDrift.run.code === 126 && bigDrift.finding.copyOf === "/bin/busybox" ? "" : "drift in the big container",
      rssBig.peak < LIMIT_BYTES / 1024 / 1024 ? "" : `peak RSS ${rssBig.peak} MiB`,
      (scenario.cgroup?.limitHits() ?? 0) === 0 ? "" : `the cgroup hit its limit ${scenario.cgroup?.limitHits()} times`,
    ].filter(Boolean);
    const peakCgroup = scenario.cgroup?.peakBytes();
    const line = {
      bench: "hostileImage",
      image: HOSTILE_IMAGE,
      entries: PER_LAYER * LAYERS,
      layers: LAYERS,
      budget: report.budget,
      counted: report.counted,
      generate_ms: scenario.timings.generateMs,
      import_ms: scenario.timings.importMs,
      reported_ms: scenario.timings.reportedMs,
      agent_peak_rss_after_hostile_mib: rss.peak,
      big_files: bigReady.files,
      big_entries: bigReady.entries,
      big_manifest_bytes: bigReady.manifestBytes,
      big_baseline_ms: bigMs,
      agent_peak_rss_after_big_mib: rssBig.peak,
      agent_rss_now_mib: rssBig.now,
      cgroup_peak_mib: peakCgroup === undefined ? null : Math.round(peakCgroup / 1024 / 1024),
      cgroup_limit_hits: scenario.cgroup?.limitHits() ?? null,
      hostile_drift: `${hostileDrift.finding.verdict} ${hostileDrift.finding.reason}`,
      normal_drift: `${normalDrift.finding.verdict} ${normalDrift.finding.reason}`,
      big_drift: `${bigDrift.finding.verdict} ${bigDrift.finding.reason}`,
      total_s: Math.round((performance.now() - started) / 1000),
      failures,
    };
    process.stdout.write(
      `${line.entries} entries in ${LAYERS} layers: generated in ${line.generate_ms} ms, imported in ${line.import_ms} ms\n` +
        `over budget reported ${line.reported_ms} ms after the container started (${JSON.stringify(report.counted)})\n` +
        `agent peak RSS ${rss.peak} MiB after the hostile image\n` +
        `image at the budget: ${line.big_files} files, ${line.big_entries} entries, ${line.big_manifest_bytes} manifest bytes, baseline in ${bigMs} ms\n` +
        `agent peak RSS ${rssBig.peak} MiB (now ${rssBig.now} MiB), cgroup peak ${line.cgroup_peak_mib} MiB, limit hits ${line.cgroup_limit_hits}\n` +
        `drift: hostile container ${line.hostile_drift}, normal container ${line.normal_drift}, big container ${line.big_drift}\n`,
    );
    emit(line);
    if (failures.length > 0) throw new Error(`hostile image: ${failures.join("; ")}`);
  } finally {
    await scenario.stop();
  }
}
