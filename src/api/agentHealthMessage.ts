// driftguard.v1.AgentHealth both ways: the agent fits its health to the limits, the
// collector checks what arrives against the same limits (an agent is trusted with its own
// status, not with the collector's memory or its reviewers' terminals: every byte of a
// reason is shown escaped).
import type { AgentHealthReport, HealthReason } from "../domain/agentStatus";
import { agentStatusFromName, agentStatusName, fromTimestamp, toTimestamp } from "./convert";
import type { ApiAgentHealth } from "./agentTypes";

export const HEALTH_LIMITS = { reasons: 16, detailChars: 512 } as const;
const CODE = /^[a-z_]{1,32}$/;

/** The agent's side: at most 16 reasons, details cut to 512 characters. */
export function healthMessage(h: AgentHealthReport): ApiAgentHealth {
  return {
    status: agentStatusName(h.status),
    reasons: h.reasons.slice(0, HEALTH_LIMITS.reasons).map((r) => ({
      code: r.code,
      detail:
        r.detail.length > HEALTH_LIMITS.detailChars ? r.detail.slice(0, HEALTH_LIMITS.detailChars - 1) + "…" : r.detail,
      notReady: r.notReady,
    })),
    since: toTimestamp(h.sinceMs),
  };
}

/**
 * The collector's side: the report; undefined when absent (an older agent) or a status this
 * collector does not know (a newer agent): shown as "unknown"; or a problem.
 */
export function healthFromMessage(m: ApiAgentHealth | null | undefined): AgentHealthReport | undefined | string {
  const status = m && agentStatusFromName(m.status);
  if (!m || !status) return undefined;
  if (m.reasons.length > HEALTH_LIMITS.reasons) return `health has ${m.reasons.length} reasons (at most 16)`;
  const reasons: HealthReason[] = [];
  for (const r of m.reasons) {
    if (!CODE.test(r.code)) return "a health reason's code is 1 to 32 characters of [a-z_]";
    if (r.detail.length > HEALTH_LIMITS.detailChars) return "a health reason's detail is at most 512 characters";
    reasons.push({ code: r.code, detail: r.detail, notReady: r.notReady });
  }
  return { status, reasons, sinceMs: fromTimestamp(m.since) ?? 0 };
}
