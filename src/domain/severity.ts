// The one severity model: how urgent a finding is, from its reason's severity class
// (driftReason.ts) and its verdict. The review page, the CLI and the ASFF export all show
// this value (FindingView.severity); src/collector/README.md explains the scale.
import { DRIFT_REASON, isDriftReason, type SeverityClass } from "./driftReason";
import { isVerdict, type Verdict } from "./verdict";

/** ASFF's labels, lowest first. */
export const SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export type Severity = (typeof SEVERITIES)[number];

const BY_CLASS: Record<SeverityClass, Record<Verdict, Severity>> = {
  // Drift that ran is an incident; drift that was blocked is an attempt.
  drift: { audited: "HIGH", blocked: "MEDIUM" },
  // Content changed or no file at all: the strongest signs of tampering when it ran.
  tampering: { audited: "CRITICAL", blocked: "MEDIUM" },
  // Nobody decided in time: an operational problem more than an attack signal.
  operational: { audited: "LOW", blocked: "LOW" },
  // A container that can reach around the guard; stopped (blocked), it is an attempt.
  exposure: { audited: "HIGH", blocked: "MEDIUM" },
  // Defence in depth missing (Pod Security restricted): worth fixing, not an attack.
  hardening: { audited: "LOW", blocked: "LOW" },
};

/**
 * Stored findings may carry names this build does not know (a newer agent): an unknown
 * reason ranks as drift, an unknown verdict as MEDIUM (LOW for an operational reason).
 */
export function severityOf(reason: string, verdict: string): Severity {
  const severityClass = isDriftReason(reason) ? DRIFT_REASON[reason].severityClass : "drift";
  if (isVerdict(verdict)) return BY_CLASS[severityClass][verdict];
  return severityClass === "operational" || severityClass === "hardening" ? "LOW" : "MEDIUM";
}

/** 0 (INFORMATIONAL) to 4 (CRITICAL), for sorting; -1 for a value that is no severity. */
export function severityRank(severity: string): number {
  return (SEVERITIES as readonly string[]).indexOf(severity);
}
