// The severity of a finding as exports rank it (ASFF's labels): a reason's severity class
// (driftReason.ts) and the verdict.
import { DRIFT_REASON, isDriftReason, type SeverityClass } from "./driftReason";
import { isVerdict, type Verdict } from "./verdict";

export type Severity = "INFORMATIONAL" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";

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
