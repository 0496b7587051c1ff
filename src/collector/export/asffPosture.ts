// The ASFF parts of a posture finding: its types (the GuardDuty finding type for the same
// condition, as Security Hub shows GuardDuty's: TTPs/<tactic>/<type with "-" for "/">, and
// the Pod Security Standards check it fails), title and description.
import type { FindingView, PostureView } from "../../api/findingView";

/** GuardDuty's threat purposes as ASFF TTP categories. */
const TACTICS: Record<string, string> = {
  PrivilegeEscalation: "Privilege Escalation",
  Persistence: "Persistence",
  Execution: "Execution",
  DefenseEvasion: "Defense Evasion",
};

/** "PrivilegeEscalation:Kubernetes/PrivilegedContainer" → "TTPs/Privilege Escalation/PrivilegeEscalation:Kubernetes-PrivilegedContainer". */
export function guardDutyAsffType(guardDutyType: string): string {
  const purpose = guardDutyType.split(":")[0];
  return `TTPs/${TACTICS[purpose] ?? purpose}/${guardDutyType.replace(/\//g, "-")}`;
}

export function postureTypes(p: PostureView): string[] {
  const standard = `Software and Configuration Checks/Industry and Regulatory Standards/Kubernetes Pod Security Standards ${p.pssLevel}`;
  return p.guardDutyType ? [guardDutyAsffType(p.guardDutyType), standard] : [standard];
}

export function postureTitle(f: FindingView, p: PostureView, workload: string): string {
  const stopped = f.verdict === "blocked" ? "Stopped container" : "Container";
  return `${stopped} with risky posture (${p.property.replace(/_/g, " ")}) in ${workload}`;
}

export function postureDescription(f: FindingView, p: PostureView, workload: string): string {
  return (
    `${workload} (image ${f.image || "unknown"}): ${p.meaning}. Its spec shows it in ${p.specField}: ${p.value}. ` +
    `Pod Security Standards ${p.pssLevel} forbids it (${p.pssControl}). ` +
    (f.verdict === "blocked"
      ? `The container was stopped under ${f.policy ? `policy ${f.policy}` : "the agent's default"}.`
      : `Reported under ${f.policy ? `policy ${f.policy}` : "the agent's default"} in ${f.mode} mode.`)
  );
}
