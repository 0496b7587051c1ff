// Conversions between the API's messages and the store's records.
import { techniquesOf } from "../domain/findingTechniques";
import { actionOfVerdict } from "../domain/verdict";
import {
  actionFromName,
  actionName,
  fromTimestamp,
  modeFromName,
  modeName,
  reasonFromName,
  reasonName,
  toTimestamp,
  triageFromName,
  triageName,
  verdictFromName,
  verdictName,
} from "../api/convert";
import type { ApiFileWriter, ApiFinding, ApiLineage, ApiTriageEvent, FindingFilter } from "../api/types";
import type { FindingQuery, FindingRecord, StoredFinding, TriageEventRecord } from "./store/FindingStore";

/** A finding that passed checkFinding(), as a record. */
export function recordFromApi(f: ApiFinding): FindingRecord {
  return {
    id: f.id,
    firstSeenMs: fromTimestamp(f.firstSeen)!,
    lastSeenMs: fromTimestamp(f.lastSeen)!,
    count: f.count,
    cluster: f.cluster,
    node: f.node,
    k8sNamespace: f.kubernetes?.namespace ?? "",
    pod: f.kubernetes?.pod ?? "",
    podUid: f.kubernetes?.podUid ?? "",
    k8sContainer: f.kubernetes?.container ?? "",
    containerId: f.container?.id ?? "",
    runtimeNamespace: f.container?.runtimeNamespace ?? "",
    image: f.container?.image ?? "",
    imageDigest: f.container?.imageDigest ?? "",
    pid: f.process?.pid ?? 0,
    ppid: f.process?.parentPid ?? 0,
    parentExe: f.process?.parentExecutable ?? "",
    uid: f.process?.uid ?? -1,
    exe: f.process?.executable ?? "",
    cmdline: f.process?.commandLine ?? "",
    path: f.path,
    hostPath: f.hostPath,
    sha256: f.sha256,
    reason: reasonFromName(f.reason)!,
    verdict: verdictFromName(f.verdict)!,
    policyName: f.policyName,
    policyMode: modeFromName(f.policyMode)!,
    copyOf: f.copyOf,
    action: actionFromName(f.action ?? "ACTION_UNSPECIFIED") ?? actionOfVerdict(verdictFromName(f.verdict)!),
    postureField: f.posture?.specField ?? "",
    postureValue: f.posture?.value ?? "",
    postureKey: f.posture?.key ?? "",
    attackTechniques: (f.attackTechniques ?? []).join(","),
    lineage: f.lineage?.processes?.length ? JSON.stringify(f.lineage) : "",
    writer: f.writer?.pid ? JSON.stringify(f.writer) : "",
  };
}

export function apiFromStored(s: StoredFinding): ApiFinding {
  return {
    id: s.id,
    firstSeen: toTimestamp(s.firstSeenMs),
    lastSeen: toTimestamp(s.lastSeenMs),
    count: s.count,
    cluster: s.cluster,
    node: s.node,
    kubernetes: { namespace: s.k8sNamespace, pod: s.pod, podUid: s.podUid, container: s.k8sContainer },
    container: {
      id: s.containerId,
      runtimeNamespace: s.runtimeNamespace,
      image: s.image,
      imageDigest: s.imageDigest,
    },
    process: {
      pid: s.pid,
      parentPid: s.ppid,
      parentExecutable: s.parentExe,
      uid: s.uid,
      executable: s.exe,
      commandLine: s.cmdline,
    },
    path: s.path,
    hostPath: s.hostPath,
    sha256: s.sha256,
    reason: reasonName(s.reason),
    verdict: verdictName(s.verdict),
    action: actionName(s.action),
    // A row from an agent before techniques were reported: the reason's, as this build knows them.
    attackTechniques: s.attackTechniques ? s.attackTechniques.split(",") : techniquesOf(s.reason, s.copyOf),
    lineage: s.lineage ? (JSON.parse(s.lineage) as ApiLineage) : null,
    writer: s.writer ? (JSON.parse(s.writer) as ApiFileWriter) : null,
    policyName: s.policyName,
    policyMode: modeName(s.policyMode),
    copyOf: s.copyOf,
    triageStatus: triageName(s.triageStatus),
    lastTriage:
      s.triageUpdatedMs > 0
        ? {
            from: "TRIAGE_STATUS_UNSPECIFIED",
            to: triageName(s.triageStatus),
            actor: s.triageActor,
            comment: s.triageComment,
            time: toTimestamp(s.triageUpdatedMs),
          }
        : null,
    received: toTimestamp(s.receivedMs),
    posture: s.postureField ? { specField: s.postureField, value: s.postureValue, key: s.postureKey } : null,
  };
}

export function apiFromEvent(e: TriageEventRecord): ApiTriageEvent {
  return {
    from: triageName(e.from),
    to: triageName(e.to),
    actor: e.actor,
    comment: e.comment,
    time: toTimestamp(e.timeMs),
  };
}

/** A filter as a query; a string naming what is invalid otherwise. */
export function queryFromFilter(f: FindingFilter | null | undefined): FindingQuery | string {
  if (!f) return {};
  const query: FindingQuery = {
    sinceMs: fromTimestamp(f.since),
    untilMs: fromTimestamp(f.until),
    cluster: f.cluster || undefined,
    namespace: f.namespace || undefined,
    pod: f.pod || undefined,
    image: f.image || undefined,
    node: f.node || undefined,
  };
  if (f.reason !== "DRIFT_REASON_UNSPECIFIED") {
    query.reason = reasonFromName(f.reason);
    if (!query.reason) return `unknown reason ${f.reason}`;
  }
  if (f.reasons && f.reasons.length > 0) {
    const reasons = f.reasons.map((name) => reasonFromName(name));
    const unknown = f.reasons.find((_, i) => !reasons[i]);
    if (unknown !== undefined) return `unknown reason ${unknown} in reasons`;
    // Each once: a caller repeating one reason must not grow the SQL's parameter list.
    query.reasons = [...new Set(reasons)] as FindingQuery["reasons"];
  }
  if (f.verdict !== "VERDICT_UNSPECIFIED") {
    query.verdict = verdictFromName(f.verdict);
    if (!query.verdict) return `unknown verdict ${f.verdict}`;
  }
  if (f.triageStatus !== "TRIAGE_STATUS_UNSPECIFIED") {
    query.triageStatus = triageFromName(f.triageStatus);
    if (!query.triageStatus) return `unknown triage status ${f.triageStatus}`;
  }
  for (const value of [f.cluster, f.namespace, f.pod, f.image, f.node]) {
    if (value.length > 1024) return "a filter string is longer than 1024 characters";
  }
  return query;
}
