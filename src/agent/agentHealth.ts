// The agent's judgement of itself, one for /readyz and the heartbeat alike, so that the
// two cannot disagree: /readyz is 503 exactly while a reason that keeps the node unsafe to
// count on (not started, guard stopped, runtime unreachable, exec canary not passed) holds,
// and the heartbeat then says "starting" or "degraded" with the same reasons. Reasons that
// do not stop the guard from refusing (a watchdog answer, dropped findings, an image
// without a baseline, fileless coverage missing) make the agent "degraded" but leave it ready:
// an unready pod would stall a rollout for something a new pod cannot fix.
import type { AgentStatus, HealthReason } from "../domain/agentStatus";
import type { PolicyMode } from "../domain/verdict";
import type { FailMode, GuardStats } from "../native/binding";
import type { BpfCoverage } from "../native/bpfBinding";
import type { CanaryResult } from "./ExecCanary";
import type { RecentIncrease } from "./recentIncreases";

/** What the agent's components say now. */
export interface HealthFacts {
  /** Agent.start() returned. */
  started: boolean;
  runtime: string;
  runtimeConnected: boolean;
  mode: PolicyMode;
  failMode: FailMode;
  /** undefined: the exec guard is stopped. */
  guard?: GuardStats;
  canary?: CanaryResult;
  /** undefined before the sensor started; coverage undefined when it could not be created. */
  ebpf?: { coverage?: BpfCoverage; lost: number; unattributed: number };
  /** Findings the spool refused (full); undefined without a collector. */
  spoolFull?: number;
  /** Errors of the last policy load (its set was not applied); undefined without --policy-dir. */
  policyErrors?: number;
  /** Containers whose attach failed and that still run. */
  unattached: number;
  /** Images in use whose baseline failed (over budget or unreadable). */
  imagesWithoutBaseline: number;
}

export interface Health {
  status: AgentStatus;
  reasons: HealthReason[];
  ready: boolean;
  /** /readyz's body. */
  detail: string;
}

/** Growth of a counter over the recent window, by name. */
export type Recent = (name: string, total: number) => RecentIncrease;

const at = (ms: number): string => new Date(ms).toISOString();

export function assessHealth(f: HealthFacts, recent: Recent, windowText: string): Health {
  if (!f.started) {
    const detail = `starting: connecting to ${f.runtime} and attaching containers`;
    return { status: "starting", reasons: [{ code: "starting", detail, notReady: true }], ready: false, detail };
  }
  const reasons: HealthReason[] = [];
  const add = (code: string, detail: string, notReady = false): number => reasons.push({ code, detail, notReady });
  const g = f.guard;
  if (!g) add("guard", "the exec guard is stopped", true);
  if (!f.runtimeConnected)
    add("runtime", `${f.runtime} unreachable: known containers stay enforced, new ones wait`, true);
  if (!f.canary) add("canary", "exec canary: not checked yet", true);
  else if (!f.canary.ok) add("canary", `exec canary: ${f.canary.detail} (checked ${at(f.canary.atMs)})`, true);
  const grew = (name: string, total: number | undefined, says: (n: number) => string): void => {
    if (total === undefined) return;
    const r = recent(name, total);
    if (r.count > 0) add(name, `${says(r.count)} in the last ${windowText} (last ${at(r.lastMs)})`);
  };
  grew("watchdog", g?.deadlineExceeded, (n) => `the watchdog answered ${n} execs with the fail mode (${f.failMode})`);
  grew("hold_overflow", g?.holdOverflow, (n) => `${n} execs answered unjudged because too many were held`);
  grew("verdicts_dropped", g?.verdictsDropped, (n) => `${n} blocked or audited execs reached no finding (lagging)`);
  grew("spool_full", f.spoolFull, (n) => `${n} findings dropped: the spool was full`);
  const ebpf = f.ebpf;
  if (ebpf && !ebpf.coverage) add("ebpf", "the eBPF sensor did not load: fileless execs are not covered");
  else if (ebpf?.coverage?.built && !ebpf.coverage.tracepoint && !ebpf.coverage.lsm) {
    add("ebpf", `the eBPF sensor covers nothing: ${ebpf.coverage.reasons.join("; ") || "no program attached"}`);
  }
  grew("ebpf_lost", ebpf?.lost, (n) => `${n} eBPF sensor findings lost`);
  if (ebpf?.unattributed) add("ebpf_attribution", `${ebpf.unattributed} containers the eBPF sensor cannot attribute`);
  if (f.unattached > 0) add("attach", `${f.unattached} containers could not be attached (see the agent's log)`);
  if (f.imagesWithoutBaseline > 0) {
    add("baseline", `${f.imagesWithoutBaseline} images without a baseline: their writable-layer execs are unverified`);
  }
  if (f.policyErrors)
    add("policy", `the last policy load had ${f.policyErrors} errors: the last good set stays in force`);
  const ready = reasons.every((r) => !r.notReady);
  const running = `exec guard running, ${g?.containers ?? 0} containers attached; ${f.canary?.detail ?? ""}`;
  const said = reasons.map((r) => r.detail).join("; ");
  if (reasons.length > 0) {
    const detail = ready ? `${running}; degraded: ${said}` : reasonsNotReady(reasons);
    return { status: "degraded", reasons, ready, detail };
  }
  const status = f.mode === "enforce" ? "enforcing" : f.mode === "audit" ? "auditing" : "disabled";
  return { status, reasons, ready, detail: running };
}

function reasonsNotReady(reasons: HealthReason[]): string {
  const blocking = reasons.filter((r) => r.notReady).map((r) => r.detail);
  const other = reasons.filter((r) => !r.notReady).map((r) => r.detail);
  return [...blocking, ...other].join("; ");
}
