// Hand-written TypeScript shapes of the driftguard.v1 AgentService messages and the
// agents' status (agent_service.proto, agent_status.proto); same conventions and the same
// round-trip test as types.ts.
import type { AgentStatus } from "../domain/agentStatus";
import type { ApiFinding, PolicyModeName, Timestamp } from "./types";

export type AgentStatusName = "AGENT_STATUS_UNSPECIFIED" | `AGENT_STATUS_${Uppercase<AgentStatus>}`;

export interface FindingBatch {
  batchId: number;
  findings: ApiFinding[];
}

export interface BatchAck {
  batchId: number;
  inserted: number;
  merged: number;
}

export interface DropCounters {
  spoolFull: number;
  nativeVerdicts: number;
  rejected: number;
}

export interface Heartbeat {
  agentVersion: string;
  node: string;
  cluster: string;
  mode: PolicyModeName;
  containers: number;
  drops: DropCounters | null;
  spoolPending: number;
  spoolBytes: number;
  sentAt: Timestamp | null;
  /** Absent from an agent before the field. */
  health?: ApiAgentHealth | null;
}

export interface ApiHealthReason {
  code: string;
  detail: string;
  notReady: boolean;
}

export interface ApiAgentHealth {
  status: AgentStatusName;
  reasons: ApiHealthReason[];
  since: Timestamp | null;
}

/** Exactly one of heartbeat and batch is set (oneof; the other is absent). */
export interface ReportRequest {
  heartbeat?: Heartbeat | null;
  batch?: FindingBatch | null;
}

export interface ReportResponse {
  ack?: BatchAck | null;
}

/** ListAgents takes no fields. */
export type ListAgentsRequest = Record<string, never>;

export interface ApiAgentSummary {
  cluster: string;
  node: string;
  agentVersion: string;
  mode: PolicyModeName;
  /** A ShownAgentStatus (src/domain/agentStatus.ts). */
  status: string;
  health: ApiAgentHealth | null;
  lastSeen: Timestamp | null;
  containers: number;
  drops: DropCounters | null;
  spoolPending: number;
  identity: string;
}

export interface ListAgentsResponse {
  agents: ApiAgentSummary[];
  heartbeatIntervalMs: number;
}
