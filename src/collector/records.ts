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
  workloadKindFromName,
  workloadKindName,
} from "../api/convert";
import type {
  ApiFileWriter,
  ApiFinding,
  ApiFindingGroup,
  ApiGroupKey,
  ApiLineage,
  ApiTriageEvent,
  FindingFilter,
  GroupByName,
} from "../api/types";
import type {
  FindingGroupRow,
  FindingQuery,
  FindingRecord,
  GroupBy,
  StoredFinding,
  TriageEventRecord,
} from "./store/FindingStore";
import { GROUP_KEYS } from "./store/query";

export const GROUP_BYS: readonly GroupBy[] = ["sha256", "workload", "image"];
export const groupByName = (by: GroupBy): GroupByName => `GROUP_BY_${by.toUpperCase()}` as GroupByName;
export const groupByFromName = (name: string | number): GroupBy | undefined =>
  GROUP_BYS.find((by) => groupByName(by) === name);

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
    workloadKind: (f.workload && workloadKindFromName(f.workload.kind)) || "",
    workloadName: f.workload?.name ?? "",
    workloadInferredFrom: f.workload?.inferredFrom ?? "",
    truncated: (f.truncatedFields ?? []).join(","),
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
            // Only a recurrence moves a triaged finding back to new.
            kind: s.triageStatus === "new" ? "TRIAGE_EVENT_KIND_RECURRED" : "TRIAGE_EVENT_KIND_TRIAGE",
          }
        : null,
    received: toTimestamp(s.receivedMs),
    workload: s.workloadKind
      ? { kind: workloadKindName(s.workloadKind), name: s.workloadName, inferredFrom: s.workloadInferredFrom }
      : null,
    truncatedFields: s.truncated ? s.truncated.split(",") : [],
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
    kind: e.kind === "recurred" ? "TRIAGE_EVENT_KIND_RECURRED" : "TRIAGE_EVENT_KIND_TRIAGE",
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
    podPrefix: f.podPrefix || undefined,
    pathPrefix: f.pathPrefix || undefined,
    imagePrefix: f.imagePrefix || undefined,
    sha256: f.sha256 || undefined,
    workloadName: f.workloadName || undefined,
    container: f.container || undefined,
  };
  if (query.sha256 && !/^[0-9a-f]{64}$/.test(query.sha256)) return "sha256 must be 64 lowercase hex characters";
  if (f.group) {
    const group = groupFromApi(f.group);
    if (typeof group === "string") return group;
    query.group = group;
  }
  if (f.workloadKind && f.workloadKind !== "WORKLOAD_KIND_UNSPECIFIED") {
    query.workloadKind = workloadKindFromName(f.workloadKind);
    if (!query.workloadKind) return `unknown workload kind ${f.workloadKind}`;
  }
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
  for (const value of [f.cluster, f.namespace, f.pod, f.image, f.node, f.podPrefix, f.imagePrefix, f.container]) {
    if ((value ?? "").length > 1024) return "a filter string is longer than 1024 characters";
  }
  if ((f.pathPrefix ?? "").length > 4096 || (f.workloadName ?? "").length > 1024)
    return "a filter string is too long (path_prefix 4096, workload_name 1024 characters)";
  return query;
}

/** A group key from the API, or what is wrong with it. */
export function groupFromApi(g: ApiGroupKey): { by: GroupBy; key: string[] } | string {
  const by = groupByFromName(g.by);
  if (!by) return "group.by must be GROUP_BY_SHA256, GROUP_BY_WORKLOAD or GROUP_BY_IMAGE";
  if (g.key.length !== GROUP_KEYS[by].length) return `group.key of ${by} has ${GROUP_KEYS[by].length} values`;
  if (g.key.some((k) => k.length > 4096)) return "group.key values are at most 4096 characters";
  return { by, key: [...g.key] };
}

/** A group row as the API's FindingGroup; `filter` is the request's (members narrow it to the group). */
export function apiFromGroup(row: FindingGroupRow, by: GroupBy, filter: FindingFilter | null): ApiFindingGroup {
  const key = { by: groupByName(by), key: row.key };
  return {
    key,
    members: { ...(filter ?? emptyFilter()), group: key },
    findings: row.findings,
    execs: row.execs,
    pods: row.pods,
    nodes: row.nodes,
    namespaces: row.namespaces,
    open: row.open,
    audited: row.audited,
    lastSeen: toTimestamp(row.lastSeenMs),
  };
}

/** A filter that matches everything (every field at its default). */
export function emptyFilter(): FindingFilter {
  return {
    since: null,
    until: null,
    cluster: "",
    namespace: "",
    pod: "",
    image: "",
    reason: "DRIFT_REASON_UNSPECIFIED",
    reasons: [],
    verdict: "VERDICT_UNSPECIFIED",
    triageStatus: "TRIAGE_STATUS_UNSPECIFIED",
    node: "",
    podPrefix: "",
    pathPrefix: "",
    sha256: "",
    workloadKind: "WORKLOAD_KIND_UNSPECIFIED",
    workloadName: "",
    imagePrefix: "",
    container: "",
    group: null,
  };
}
