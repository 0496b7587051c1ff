// When an agent counts as silent: no heartbeat for longer than the agents' heartbeat
// interval, plus half an interval for network and scheduling delays (one missed heartbeat).
import type { AgentHeartbeatRecord } from "./store/FindingStore";

/** The agent's default (CollectorStream heartbeatMs); the collector's --agent-heartbeat-interval. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

export function isSilent(agent: AgentHeartbeatRecord, nowMs: number, heartbeatMs: number): boolean {
  return nowMs - agent.lastSeenMs > heartbeatMs * 1.5;
}
