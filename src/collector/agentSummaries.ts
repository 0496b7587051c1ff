// FindingService.ListAgents: every agent the collector heard from, with the status it
// shows (agentLiveness.ts): what the agent said, "silent" or "unknown".
import { healthMessage } from "../api/agentHealthMessage";
import { modeFromName, modeName, toTimestamp } from "../api/convert";
import type { ApiAgentSummary, ListAgentsResponse } from "../api/agentTypes";
import { shownStatus } from "./agentLiveness";
import type { AgentHeartbeatRecord, FindingStore } from "./store/FindingStore";

export async function listAgents(
  store: FindingStore,
  heartbeatMs: number,
  nowMs = Date.now(),
): Promise<ListAgentsResponse> {
  const agents = await store.agents();
  return { agents: agents.map((a) => agentSummary(a, nowMs, heartbeatMs)), heartbeatIntervalMs: heartbeatMs };
}

function agentSummary(a: AgentHeartbeatRecord, nowMs: number, heartbeatMs: number): ApiAgentSummary {
  const mode = modeFromName(`POLICY_MODE_${a.mode.toUpperCase()}`);
  return {
    cluster: a.cluster,
    node: a.node,
    agentVersion: a.version,
    mode: mode ? modeName(mode) : "POLICY_MODE_UNSPECIFIED",
    status: shownStatus(a, nowMs, heartbeatMs),
    health:
      a.status === "unknown" ? null : healthMessage({ status: a.status, reasons: a.reasons, sinceMs: a.statusSinceMs }),
    lastSeen: toTimestamp(a.lastSeenMs),
    containers: a.containers,
    drops: { spoolFull: a.spoolFull, nativeVerdicts: a.nativeVerdicts, rejected: a.rejected },
    spoolPending: a.spoolPending,
    identity: a.identity,
  };
}
