// The agent's DriftFinding as a driftguard.v1 Finding, with aggregate fields.
import { actionName, modeName, reasonName, toTimestamp, verdictName } from "../api/convert";
import type { ApiFileWriter, ApiFinding, ApiLineage } from "../api/types";
import type { DriftFinding, FileWriter } from "./DriftFinding";
import type { ProcessLineage } from "./ProcessLineage";

export interface AggregateFields {
  id: string;
  cluster: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
}

export function toApiFinding(f: DriftFinding, agg: AggregateFields): ApiFinding {
  return {
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
    posture: f.posture ? { specField: f.posture.specField, value: f.posture.value, key: f.posture.key } : null,
    attackTechniques: f.attackTechniques,
    lineage: apiLineage(f.lineage),
    writer: f.writer ? apiWriter(f.writer) : null,
  };
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
