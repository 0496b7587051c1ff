// A blocked or audited exec, enriched with what the agent knows of its container; or a
// container's posture property (reason posture_*, src/posture/postureFinding.ts), which has
// no file (path, hostPath, sha256 and copyOf are "") and carries `posture` instead.
import { techniquesOf } from "../domain/findingTechniques";
import type { VerdictRecord } from "../native/binding";
import { NO_LINEAGE, type ProcessLineage } from "./ProcessLineage";
import type { PodOwner } from "../runtime/podOwner";
import type { ContainerRecord, KubernetesIdentity } from "../runtime/types";
import { splitContainerKey } from "../runtime/containerKey";

/** The process that last wrote the exec'd file, as the write tracker saw it. */
export interface FileWriter {
  pid: number;
  uid: number;
  /** Its program, "" when it had exited before the tracker read it. */
  exe: string;
  cmdline: string;
  /** ISO time of the latest write seen. */
  time: string;
}

export interface DriftFinding {
  time: string;
  node: string;
  verdict: VerdictRecord["verdict"];
  /** What happened to the exec: refused (EPERM), killed (before its first instruction) or audited (it ran). */
  action: VerdictRecord["action"];
  reason: VerdictRecord["reason"];
  mode: VerdictRecord["mode"];
  policy: string;
  path: string;
  hostPath: string;
  sha256: string;
  /** Image path whose content this file has ("copy of"), "" if none. */
  copyOf: string;
  /** MITRE ATT&CK technique ids (src/domain/findingTechniques.ts). */
  attackTechniques: string[];
  /** exe and cmdline are the caller's: the program that called execve, before the exec. */
  process: {
    pid: number;
    ppid: number;
    uid: number;
    exe: string;
    cmdline: string;
    parentExe: string;
    cmdlineUnread?: boolean;
  };
  container: { id: string; namespace: string; image: string; imageDigest: string };
  k8s: KubernetesIdentity;
  /** The exec'ing process and its ancestors up to the container's boundary. */
  lineage: ProcessLineage;
  /** Who last wrote the file; null when no write was seen (before the agent, through a mapping, evicted, untracked). */
  writer: FileWriter | null;
  /** The workload owning the pod, as its labels tell (runtime/podOwner.ts). */
  workload?: PodOwner;
  /** Posture findings only: the spec field that shows the property, and what it says. */
  posture?: PostureEvidence;
}

export interface PostureEvidence {
  specField: string;
  value: string;
  /** Tells findings of one reason in one container apart (a mount's destination), "" otherwise. */
  key: string;
  /** What it means for drift, the Pod Security rule and the GuardDuty type (for the log line). */
  meaning: string;
  pss: string;
  guardDuty: string;
}

export function driftFinding(
  record: VerdictRecord,
  container: ContainerRecord | undefined,
  node: string,
  workload?: PodOwner,
  lineage: ProcessLineage = NO_LINEAGE,
  writer: FileWriter | null = null,
): DriftFinding {
  return {
    time: new Date(record.timeMs).toISOString(),
    node,
    verdict: record.verdict,
    action: record.action,
    reason: record.reason,
    mode: record.mode,
    policy: record.policy,
    path: record.path,
    hostPath: record.hostPath,
    sha256: record.sha256,
    copyOf: record.copyOf,
    attackTechniques: techniquesOf(record.reason, record.copyOf),
    process: {
      pid: record.pid,
      ppid: record.ppid,
      uid: record.uid,
      exe: record.exe,
      cmdline: record.cmdline,
      parentExe: record.parentExe,
      ...(record.cmdlineUnread ? { cmdlineUnread: true } : {}),
    },
    container: {
      // Unknown (gone long ago, or never attached): what the native key says.
      ...(container ? { id: container.id, namespace: container.namespace } : splitContainerKey(record.containerId)),
      image: container?.image ?? "",
      imageDigest: container?.imageDigest ?? "",
    },
    k8s: container?.k8s ?? {},
    lineage,
    writer,
    workload,
  };
}
