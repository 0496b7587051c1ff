// When an agent counts as silent: no heartbeat for longer than the agents' heartbeat
// interval, plus half an interval for network and scheduling delays (one missed heartbeat).
// How the collector shows an agent: silent outranks what its last heartbeat said (a stale
// "enforcing" proves nothing), and an agent that never said its status is "unknown".
import { SHOWN_AGENT_STATUSES as SHOWN, type ShownAgentStatus } from "../domain/agentStatus";
import type { AgentHeartbeatRecord } from "./store/FindingStore";

/** The agent's default (CollectorStream heartbeatMs); the collector's --agent-heartbeat-interval. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

export function isSilent(agent: AgentHeartbeatRecord, nowMs: number, heartbeatMs: number): boolean {
  return nowMs - agent.lastSeenMs > heartbeatMs * 1.5;
}

export function shownStatus(agent: AgentHeartbeatRecord, nowMs: number, heartbeatMs: number): ShownAgentStatus {
  return isSilent(agent, nowMs, heartbeatMs) ? "silent" : agent.status;
}

/** Agents by shown status, every status present (0 when none). */
export function countByStatus(
  agents: AgentHeartbeatRecord[],
  nowMs: number,
  heartbeatMs: number,
): Record<ShownAgentStatus, number> {
  const counts = Object.fromEntries(SHOWN.map((s) => [s, 0])) as Record<ShownAgentStatus, number>;
  for (const a of agents) counts[shownStatus(a, nowMs, heartbeatMs)]++;
  return counts;
}
