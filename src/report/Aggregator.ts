// Aggregation of identical execs (same container, path, SHA-256, reason and verdict) within
// a window that opens at the first exec, as GuardDuty counts repeated events. The first
// exec is reported at once (a blocked attack must not wait for a window to close); count
// updates follow at most every flushIntervalMs, and a last one when the window closes.
// Posture findings are not execs: each is reported at once, alone, under its stable id.
//
// Called on the agent's JS thread only; no I/O here, reports go to `emit`.
import { toApiFinding } from "./apiFinding";
import type { ApiFinding } from "../api/types";
import type { DriftFinding } from "./DriftFinding";
import { aggregateKey, findingId, postureFindingId } from "./findingId";

export interface AggregatorOptions {
  /** Length of a window from its first exec. Default 5 min. */
  windowMs?: number;
  /** Open aggregates kept; the oldest is closed (and reported) beyond. Default 10000. */
  maxOpen?: number;
  incarnation: string;
  cluster: string;
}

interface Open {
  id: string;
  first: DriftFinding;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
  reportedCount: number;
  windowEndMs: number;
}

export class Aggregator {
  private readonly open = new Map<string, Open>();
  private sequence = 0;
  private readonly windowMs: number;
  private readonly maxOpen: number;

  constructor(
    private readonly options: AggregatorOptions,
    private readonly emit: (finding: ApiFinding) => void,
  ) {
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.maxOpen = options.maxOpen ?? 10_000;
  }

  get size(): number {
    return this.open.size;
  }

  observe(finding: DriftFinding): void {
    const at = Date.parse(finding.time) || Date.now();
    if (finding.posture) return this.reportPosture(finding, at);
    const key = aggregateKey({
      containerNamespace: finding.container.namespace,
      containerId: finding.container.id,
      path: finding.path,
      sha256: finding.sha256,
      reason: finding.reason,
      verdict: finding.verdict,
    });
    const current = this.open.get(key);
    if (current && at < current.windowEndMs) {
      current.count++;
      current.lastSeenMs = Math.max(current.lastSeenMs, at);
      return;
    }
    if (current) this.close(key, current);
    if (this.open.size >= this.maxOpen) {
      const [oldestKey, oldest] = this.open.entries().next().value!;
      this.close(oldestKey, oldest);
    }
    const created: Open = {
      id: findingId({
        incarnation: this.options.incarnation,
        sequence: ++this.sequence,
        node: finding.node,
        key,
        firstSeenMs: at,
      }),
      first: finding,
      firstSeenMs: at,
      lastSeenMs: at,
      count: 1,
      reportedCount: 0,
      windowEndMs: at + this.windowMs,
    };
    this.open.set(key, created);
    this.report(created);
  }

  /** Reports grown counts and closes windows that ended before `now`. */
  flush(now = Date.now()): void {
    for (const [key, agg] of this.open) {
      if (agg.windowEndMs <= now) this.close(key, agg);
      else if (agg.count > agg.reportedCount) this.report(agg);
    }
  }

  /** Reports every grown count and forgets all windows (agent stopping). */
  closeAll(): void {
    for (const [key, agg] of this.open) this.close(key, agg);
  }

  private close(key: string, agg: Open): void {
    if (agg.count > agg.reportedCount) this.report(agg);
    this.open.delete(key);
  }

  private reportPosture(finding: DriftFinding, at: number): void {
    const id = postureFindingId({
      cluster: this.options.cluster,
      node: finding.node,
      containerNamespace: finding.container.namespace,
      containerId: finding.container.id,
      reason: finding.reason,
      key: finding.posture?.key ?? "",
      verdict: finding.verdict,
    });
    this.emit(toApiFinding(finding, { id, cluster: this.options.cluster, firstSeenMs: at, lastSeenMs: at, count: 1 }));
  }

  private report(agg: Open): void {
    agg.reportedCount = agg.count;
    this.emit(
      toApiFinding(agg.first, {
        id: agg.id,
        cluster: this.options.cluster,
        firstSeenMs: agg.firstSeenMs,
        lastSeenMs: agg.lastSeenMs,
        count: agg.count,
      }),
    );
  }
}
