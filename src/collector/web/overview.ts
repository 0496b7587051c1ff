// GET /api/overview?range=24h: the overview's data in one answer: counts per time bucket,
// verdict and reason, the top images and namespaces, and the agents with their liveness.
import { isSilent, shownStatus } from "../agentLiveness";
import type { FindingStore } from "../store/FindingStore";
import { OVERVIEW_RANGES, type OverviewResponse } from "./webTypes";

const TOP = 8;

/** The overview, or a message for an unknown range. */
export async function overview(
  store: FindingStore,
  range: string,
  heartbeatMs: number,
  nowMs = Date.now(),
): Promise<OverviewResponse | string> {
  const spec = OVERVIEW_RANGES[range];
  if (!spec) return `range must be one of ${Object.keys(OVERVIEW_RANGES).join(", ")}`;
  // Whole buckets, the last one holding now.
  const untilMs = Math.ceil((nowMs + 1) / spec.bucketMs) * spec.bucketMs;
  const sinceMs = untilMs - spec.rangeMs;
  const [summary, agents] = await Promise.all([
    store.summary({ sinceMs, untilMs, bucketMs: spec.bucketMs, top: TOP }),
    store.agents(),
  ]);
  return {
    nowMs,
    sinceMs,
    untilMs,
    bucketMs: spec.bucketMs,
    ...summary,
    agents: agents.map((a) => ({
      cluster: a.cluster,
      node: a.node,
      version: a.version,
      mode: a.mode,
      containers: a.containers,
      spoolPending: a.spoolPending,
      drops: a.spoolFull + a.nativeVerdicts + a.rejected,
      lastSeenMs: a.lastSeenMs,
      silent: isSilent(a, nowMs, heartbeatMs),
      status: shownStatus(a, nowMs, heartbeatMs),
      reasons: a.reasons,
      statusSinceMs: a.statusSinceMs,
    })),
    heartbeatIntervalMs: heartbeatMs,
  };
}
