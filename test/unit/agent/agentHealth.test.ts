// The agent's health, judged once for /readyz, the heartbeat and the metric: every problem
// the agent knows of yields a reason; the ones that make the node unsafe to count on keep
// /readyz at 503; /readyz and the heartbeat can never disagree.
import * as assert from "node:assert/strict";

import { assessHealth, type HealthFacts } from "../../../src/agent/agentHealth";
import { HealthMonitor } from "../../../src/agent/HealthMonitor";
import { RecentIncreases } from "../../../src/agent/recentIncreases";
import { healthFromMessage, healthMessage } from "../../../src/api/agentHealthMessage";
import type { GuardStats } from "../../../src/native/binding";
import type { BpfCoverage } from "../../../src/native/bpfBinding";

const T0 = Date.UTC(2026, 11, 3, 7);
const GUARD = { containers: 3, deadlineExceeded: 0, holdOverflow: 0, verdictsDropped: 0 } as GuardStats;
const COVERAGE: BpfCoverage = {
  built: true,
  tracepoint: true,
  lsm: false,
  entryChecked: true,
  programTypes: { rawTracepoint: true, tracingRawTp: true, fentry: false, lsm: false },
  reasons: [],
};
const HEALTHY: HealthFacts = {
  started: true,
  runtime: "containerd",
  runtimeConnected: true,
  mode: "enforce",
  failMode: "open",
  guard: GUARD,
  canary: { ok: true, detail: "a staged drift exec refused, an image program ran", atMs: T0 },
  ebpf: { coverage: COVERAGE, lost: 0, unattributed: 0 },
  spoolFull: 0,
  policyErrors: 0,
  unattached: 0,
  imagesWithoutBaseline: 0,
};

/** Each problem the agent knows of: the facts, the reason's code, whether /readyz goes 503. */
const PROBLEMS: [string, Partial<HealthFacts>, string, boolean][] = [
  ["guard stopped", { guard: undefined }, "guard", true],
  ["runtime unreachable", { runtimeConnected: false }, "runtime", true],
  ["canary not run", { canary: undefined }, "canary", true],
  ["canary failed", { canary: { ok: false, detail: "a staged drift exec ran", atMs: T0 } }, "canary", true],
  ["eBPF sensor not created", { ebpf: { lost: 0, unattributed: 0 } }, "ebpf", false],
  [
    "eBPF covers nothing",
    { ebpf: { coverage: { ...COVERAGE, tracepoint: false }, lost: 0, unattributed: 0 } },
    "ebpf",
    false,
  ],
  ["containers unattributed", { ebpf: { coverage: COVERAGE, lost: 0, unattributed: 2 } }, "ebpf_attribution", false],
  ["attach failed", { unattached: 1 }, "attach", false],
  ["image over budget", { imagesWithoutBaseline: 1 }, "baseline", false],
  ["policy errors", { policyErrors: 2 }, "policy", false],
  ["watchdog answered", { guard: { ...GUARD, deadlineExceeded: 4 } }, "watchdog", false],
  ["held execs overflowed", { guard: { ...GUARD, holdOverflow: 1 } }, "hold_overflow", false],
  ["verdicts dropped", { guard: { ...GUARD, verdictsDropped: 1 } }, "verdicts_dropped", false],
  ["spool full", { spoolFull: 7 }, "spool_full", false],
  ["eBPF findings lost", { ebpf: { coverage: COVERAGE, lost: 3, unattributed: 0 } }, "ebpf_lost", false],
];

function judge(facts: HealthFacts, nowMs = T0) {
  const recent = new RecentIncreases(300_000);
  return assessHealth(facts, (name, total) => recent.observe(name, total, nowMs), "5m");
}

describe("agent health", () => {
  it("says enforcing, auditing or disabled by the node's default mode when every check holds", () => {
    assert.deepEqual(judge(HEALTHY), {
      status: "enforcing",
      reasons: [],
      ready: true,
      detail: "exec guard running, 3 containers attached; a staged drift exec refused, an image program ran",
    });
    assert.equal(judge({ ...HEALTHY, mode: "audit" }).status, "auditing");
    assert.equal(judge({ ...HEALTHY, mode: "disabled" }).status, "disabled");
  });

  it("says starting, not ready, until the agent started", () => {
    const h = judge({ ...HEALTHY, started: false, canary: undefined });
    assert.equal(h.status, "starting");
    assert.equal(h.ready, false);
    assert.equal(h.detail, "starting: connecting to containerd and attaching containers");
  });

  for (const [name, facts, code, notReady] of PROBLEMS) {
    it(`is degraded when ${name} (${code}${notReady ? ", not ready" : ", still ready"})`, () => {
      for (const mode of ["enforce", "audit"] as const) {
        const h = judge({ ...HEALTHY, ...facts, mode });
        assert.equal(h.status, "degraded");
        assert.deepEqual(
          h.reasons.map((r) => [r.code, r.notReady]),
          [[code, notReady]],
        );
        assert.equal(h.ready, !notReady);
        assert.ok(h.detail.includes(h.reasons[0].detail), h.detail);
      }
    });
  }

  it("/readyz and the heartbeat never disagree, whatever holds", () => {
    // Every pair of problems, through the monitor both read.
    for (const [, a] of PROBLEMS) {
      for (const [, b] of PROBLEMS) {
        const facts = { ...HEALTHY, ...a, ...b };
        const monitor = new HealthMonitor({ agent: () => facts });
        monitor.markStarted();
        const readyz = monitor.current(T0);
        const sent = healthFromMessage(healthMessage(monitor.report(T0)));
        assert.ok(sent && typeof sent !== "string");
        assert.equal(sent.status, readyz.status);
        assert.deepEqual(sent.reasons, readyz.reasons);
        // Ready exactly when no reason keeps it unready; enforcing only when ready and nothing is wrong.
        assert.equal(readyz.ready, !sent.reasons.some((r) => r.notReady));
        if (sent.status === "enforcing") assert.ok(readyz.ready && sent.reasons.length === 0);
        if (!readyz.ready) assert.equal(sent.status, "degraded");
        for (const r of sent.reasons) assert.ok(readyz.detail.includes(r.detail), `${r.code} not in ${readyz.detail}`);
      }
    }
  });

  it("forgets a watchdog answer after the window; says since when the status holds", () => {
    let guard = GUARD;
    const monitor = new HealthMonitor({ agent: () => ({ ...HEALTHY, guard }) }, 60_000);
    monitor.markStarted();
    assert.deepEqual(monitor.report(T0), { status: "enforcing", reasons: [], sinceMs: T0 });
    guard = { ...GUARD, deadlineExceeded: 2 };
    const degraded = monitor.report(T0 + 10_000);
    assert.equal(degraded.status, "degraded");
    assert.equal(degraded.sinceMs, T0 + 10_000);
    assert.match(
      degraded.reasons[0].detail,
      /^the watchdog answered 2 execs with the fail mode \(open\) in the last 1m \(last 2026-12-03T07:00:10.000Z\)$/,
    );
    assert.equal(monitor.report(T0 + 60_000).sinceMs, T0 + 10_000, "unchanged status keeps its time");
    guard = { ...GUARD, deadlineExceeded: 3 };
    assert.match(monitor.report(T0 + 65_000).reasons[0].detail, /answered 3 execs/);
    assert.equal(monitor.report(T0 + 124_000).reasons[0].detail.includes("answered 1 execs"), true);
    assert.deepEqual(monitor.report(T0 + 126_000), { status: "enforcing", reasons: [], sinceMs: T0 + 126_000 });
  });

  it("fits the heartbeat to the collector's limits; the collector refuses what does not fit", () => {
    const reasons = Array.from({ length: 20 }, (_, i) => ({
      code: "attach",
      detail: "x".repeat(600 + i),
      notReady: false,
    }));
    const message = healthMessage({ status: "degraded", reasons, sinceMs: T0 });
    assert.equal(message.reasons.length, 16);
    assert.ok(message.reasons.every((r) => r.detail.length === 512));
    assert.deepEqual(healthFromMessage(message), {
      status: "degraded",
      reasons: message.reasons,
      sinceMs: T0,
    });
    assert.equal(healthFromMessage(null), undefined, "an agent before the field");
    assert.equal(healthFromMessage({ ...message, status: 9 as never }), undefined, "a status of a newer agent");
    assert.match(
      String(healthFromMessage({ ...message, reasons: [{ code: "Bad Code", detail: "", notReady: false }] })),
      /code is 1 to 32 characters/,
    );
    const long = { code: "attach", detail: "x".repeat(513), notReady: false };
    assert.match(String(healthFromMessage({ ...message, reasons: [long] })), /at most 512/);
  });
});
