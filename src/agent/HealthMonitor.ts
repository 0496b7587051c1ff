// Holds the agent's health between judgements: when it was started, the recent growth of
// its problem counters, and since when its status holds. /readyz, the heartbeat and the
// metric all read current(), so they say the same (agentHealth.ts).
import type { AgentHealthReport } from "../domain/agentStatus";
import { assessHealth, type Health, type HealthFacts } from "./agentHealth";
import { RecentIncreases } from "./recentIncreases";

/** How long a watchdog answer or a dropped finding keeps the agent degraded. */
export const RECENT_WINDOW_MS = 5 * 60_000;

export interface HealthSources {
  /** What the agent knows of itself (Agent.healthFacts). */
  agent: () => Omit<HealthFacts, "started" | "spoolFull" | "policyErrors">;
  /** Findings the spool refused; undefined without a collector. */
  spoolFull?: () => number;
  /** Errors of the last policy load; undefined without --policy-dir. */
  policyErrors?: () => number;
}

export class HealthMonitor {
  private started = false;
  private readonly recent: RecentIncreases;
  private last?: { status: Health["status"]; sinceMs: number };

  constructor(
    private readonly sources: HealthSources,
    windowMs = RECENT_WINDOW_MS,
  ) {
    this.recent = new RecentIncreases(windowMs);
  }

  /** Agent.start() returned. */
  markStarted(): void {
    this.started = true;
  }

  current(nowMs = Date.now()): Health & { sinceMs: number } {
    const facts: HealthFacts = {
      ...this.sources.agent(),
      started: this.started,
      spoolFull: this.sources.spoolFull?.(),
      policyErrors: this.sources.policyErrors?.(),
    };
    const minutes = Math.round(this.recent.windowMs / 60_000);
    const window = minutes >= 1 ? `${minutes}m` : `${Math.round(this.recent.windowMs / 1000)}s`;
    const health = assessHealth(facts, (name, total) => this.recent.observe(name, total, nowMs), window);
    if (this.last?.status !== health.status) this.last = { status: health.status, sinceMs: nowMs };
    return { ...health, sinceMs: this.last.sinceMs };
  }

  /**
   * Checks every intervalMs and calls onChange when the status or its reasons' codes
   * changed: the collector hears of a failed canary at once, not at the next heartbeat.
   * Returns the stop function.
   */
  watch(intervalMs: number, onChange: () => void): () => void {
    const signature = () => {
      const { status, reasons } = this.current();
      return [status, ...reasons.map((r) => r.code)].join(",");
    };
    let last = signature();
    const timer = setInterval(() => {
      const now = signature();
      if (now !== last) onChange();
      last = now;
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** For the heartbeat. */
  report(nowMs = Date.now()): AgentHealthReport {
    const { status, reasons, sinceMs } = this.current(nowMs);
    return { status, reasons, sinceMs };
  }
}
