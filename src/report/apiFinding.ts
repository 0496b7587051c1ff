// The agent's DriftFinding as a driftguard.v1 Finding, with aggregate fields, cut to the
// limits the collector accepts (fitFinding.ts): a hostile long value costs its tail, not
// the finding.
import { actionName, modeName, reasonName, toTimestamp, verdictName, workloadKindName } from "../api/convert";
import type { ApiFileWriter, ApiFinding, ApiLineage } from "../api/types";
import type { DriftFinding, FileWriter } from "./DriftFinding";
import { fitFinding } from "./fitFinding";
import type { ProcessLineage } from "./ProcessLineage";

export interface AggregateFields {
  id: string;
  cluster: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
}

export function toApiFinding(f: DriftFinding, agg: AggregateFields): ApiFinding {
  return fitFinding({
    id: agg.id,
    firstSeen: toTimestamp(agg.firstSeenMs),
    lastSeen: toTimestamp(agg.lastSeenMs),
    count: agg.count,
    cluster: agg.cluster,
    node: f.node,
    kubernetes: {
      namespace: f.k8s.namespace ?? "",
      pod: f.k8s.pod ?? "",
      podUid: f.k8s.podUid ?? "",
      container: f.k8s.container ?? "",
    },
    container: {
      id: f.container.id,
      runtimeNamespace: f.container.namespace,
      image: f.container.image,
      imageDigest: f.container.imageDigest,
    },
    process: {
      pid: f.process.pid,
      parentPid: f.process.ppid,
      parentExecutable: f.process.parentExe,
      uid: f.process.uid,
      executable: f.process.exe,
      commandLine: f.process.cmdline,
    },
    path: f.path,
    hostPath: f.hostPath,
    sha256: f.sha256,
    reason: reasonName(f.reason),
    verdict: verdictName(f.verdict),
    policyName: f.policy,
    policyMode: modeName(f.mode),
    copyOf: f.copyOf,
    triageStatus: "TRIAGE_STATUS_UNSPECIFIED",
    lastTriage: null,
    received: null,
    action: actionName(f.action),
    workload: f.workload
      ? { kind: workloadKindName(f.workload.kind), name: f.workload.name, inferredFrom: f.workload.inferredFrom }
      : null,
    posture: f.posture ? { specField: f.posture.specField, value: f.posture.value, key: f.posture.key } : null,
    attackTechniques: f.attackTechniques,
    lineage: apiLineage(f.lineage),
    writer: f.writer ? apiWriter(f.writer) : null,
    // A command line the agent could not read in time is as incomplete as a cut one.
    truncatedFields: f.process.cmdlineUnread ? ["process.command_line"] : [],
  });
}

export function apiLineage(l: ProcessLineage): ApiLineage {
  return {
    processes: l.processes.map((p) => ({
      pid: p.pid,
      executable: p.exe,
      argv: p.argv,
      uid: p.uid,
      gid: p.gid,
      user: p.user,
      startTime: p.startMs > 0 ? toTimestamp(p.startMs) : null,
      inContainer: p.inContainer,
    })),
    execSession: l.execSession,
    complete: l.complete,
  };
}

export function apiWriter(w: FileWriter): ApiFileWriter {
  return { pid: w.pid, executable: w.exe, commandLine: w.cmdline, uid: w.uid, time: toTimestamp(Date.parse(w.time)) };
}
