// A posture property of a container as a finding for the agent's sinks (log line, collector
// stream): the container and pod identity, the policy, what was done, and the evidence with
// what it means for drift.
import { POSTURE_FIELD_MAX } from "../api/validateFinding";
import { POSTURE } from "../domain/posture";
import type { PosturePolicy } from "../policy/posturePolicy";
import type { DriftFinding } from "../report/DriftFinding";
import type { ContainerRecord } from "../runtime/types";
import type { PostureProperty } from "./judgePosture";
import { NO_LINEAGE } from "../report/ProcessLineage";

export function postureFinding(
  property: PostureProperty,
  container: ContainerRecord,
  policy: PosturePolicy,
  stopped: boolean,
  node: string,
  nowMs = Date.now(),
): DriftFinding {
  const entry = POSTURE[property.reason];
  return {
    time: new Date(nowMs).toISOString(),
    node,
    verdict: stopped ? "blocked" : "audited",
    action: stopped ? "killed" : "audited",
    reason: property.reason,
    mode: policy.mode,
    policy: policy.name,
    path: "",
    hostPath: "",
    sha256: "",
    copyOf: "",
    // The container's init process: what the property applies to (its command line is not
    // read: at attach the task may not have started its program yet).
    process: { pid: container.pid, ppid: 0, uid: container.security?.uid ?? -1, exe: "", cmdline: "", parentExe: "" },
    container: {
      id: container.id,
      namespace: container.namespace,
      image: container.image,
      imageDigest: container.imageDigest ?? "",
    },
    k8s: container.k8s,
    // No exec: no ATT&CK technique (a spec property is an exposure), lineage or writer.
    attackTechniques: [],
    lineage: NO_LINEAGE,
    writer: null,
    // Clipped to what a finding may carry: one the check refuses would be dropped, and a
    // long mount path or SELinux label must not make a container's posture unreported.
    posture: {
      specField: clip(property.specField, POSTURE_FIELD_MAX.specField),
      value: clip(property.value, POSTURE_FIELD_MAX.value),
      key: clip(property.key, POSTURE_FIELD_MAX.key),
      meaning: entry.meaning,
      pss: `${entry.pss.level}: ${entry.pss.control}`,
      guardDuty: "guardDuty" in entry ? entry.guardDuty : "",
    },
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}
