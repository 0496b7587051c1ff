// What an agent says of itself in its heartbeat (the same judgement that answers its
// /readyz, src/agent/agentHealth.ts), and what the collector adds: "silent" when the
// heartbeats stopped, "unknown" for an agent from before the status existed.
// Same shape as verdict.ts: the proto number bound by vocabulary.test.ts.

export const AGENT_STATUS = {
  // Running, not yet proven: containers being attached, the exec canary not passed yet.
  starting: { proto: 1 },
  // Every check holds and the node's default mode refuses drift.
  enforcing: { proto: 2 },
  // Every check holds and the node's default mode records drift without refusing it.
  auditing: { proto: 3 },
  // Every check holds and the node's default mode neither refuses nor records drift.
  disabled: { proto: 4 },
  // A check does not hold; the reasons say which.
  degraded: { proto: 5 },
} as const satisfies Record<string, { readonly proto: number }>;

export type AgentStatus = keyof typeof AGENT_STATUS;
export const AGENT_STATUSES = Object.keys(AGENT_STATUS) as readonly AgentStatus[];

/** As the collector shows an agent: its own status, or what the collector knows instead. */
export type ShownAgentStatus = AgentStatus | "silent" | "unknown";
export const SHOWN_AGENT_STATUSES: readonly ShownAgentStatus[] = [...AGENT_STATUSES, "silent", "unknown"];

/** One thing that does not hold. */
export interface HealthReason {
  /** Stable, for alerts: [a-z_]{1,32} (canary, runtime, watchdog, ebpf, spool, attach, ...). */
  code: string;
  /** What the agent saw, for people. */
  detail: string;
  /** It keeps the agent's /readyz at 503. */
  notReady: boolean;
}

/** An agent's status with its reasons, as it sent it. */
export interface AgentHealthReport {
  status: AgentStatus;
  reasons: HealthReason[];
  /** When the status last changed, by the agent's clock. */
  sinceMs: number;
}
