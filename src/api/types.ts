// Hand-written TypeScript shapes of the driftguard.v1 messages, as protobufjs produces them
// with apiProto.ts's conversion (camelCase, enums as their names, int64 as number).
// test/unit/api/apiTypes.test.ts round-trips a complete value of every type through the
// proto, so a field that is missing or misnamed here fails the build's tests.

import type { DriftReason } from "../domain/driftReason";
import type { Action, PolicyMode, Verdict } from "../domain/verdict";
import type { WorkloadKind } from "../domain/workload";

// The proto's enum names follow from the domain's values (test/unit/domain binds the numbers).
export type DriftReasonName = "DRIFT_REASON_UNSPECIFIED" | `DRIFT_REASON_${Uppercase<DriftReason>}`;
export type VerdictName = "VERDICT_UNSPECIFIED" | `VERDICT_${Uppercase<Verdict>}`;
export type ActionName = "ACTION_UNSPECIFIED" | `ACTION_${Uppercase<Action>}`;
export type PolicyModeName = "POLICY_MODE_UNSPECIFIED" | `POLICY_MODE_${Uppercase<PolicyMode>}`;
export type WorkloadKindName = "WORKLOAD_KIND_UNSPECIFIED" | `WORKLOAD_KIND_${Uppercase<WorkloadKind>}`;
export type TriageEventKindName =
  "TRIAGE_EVENT_KIND_UNSPECIFIED" | "TRIAGE_EVENT_KIND_TRIAGE" | "TRIAGE_EVENT_KIND_RECURRED";
export type WatchEventName = "WATCH_EVENT_UNSPECIFIED" | "WATCH_EVENT_NEW" | "WATCH_EVENT_RECURRED";
export type GroupByName = "GROUP_BY_UNSPECIFIED" | "GROUP_BY_SHA256" | "GROUP_BY_WORKLOAD" | "GROUP_BY_IMAGE";
export type TriageStatusName =
  | "TRIAGE_STATUS_UNSPECIFIED"
  | "TRIAGE_STATUS_NEW"
  | "TRIAGE_STATUS_ACKNOWLEDGED"
  | "TRIAGE_STATUS_RESOLVED"
  | "TRIAGE_STATUS_FALSE_POSITIVE";

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface ApiProcess {
  pid: number;
  parentPid: number;
  parentExecutable: string;
  uid: number;
  executable: string;
  commandLine: string;
}

export interface ApiLineageProcess {
  pid: number;
  executable: string;
  argv: string[];
  uid: number;
  gid: number;
  user: string;
  startTime: Timestamp | null;
  inContainer: boolean;
}

export interface ApiLineage {
  processes: ApiLineageProcess[];
  execSession: boolean;
  complete: boolean;
}

export interface ApiKubernetesRef {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
}

export interface ApiContainerRef {
  id: string;
  runtimeNamespace: string;
  image: string;
  imageDigest: string;
}

export interface ApiPostureEvidence {
  specField: string;
  value: string;
  key: string;
}

export interface ApiTriageEvent {
  from: TriageStatusName;
  to: TriageStatusName;
  actor: string;
  comment: string;
  time: Timestamp | null;
  kind: TriageEventKindName;
}

export interface ApiWorkloadRef {
  kind: WorkloadKindName;
  name: string;
  inferredFrom: string;
}

export interface ApiFinding {
  id: string;
  firstSeen: Timestamp | null;
  lastSeen: Timestamp | null;
  count: number;
  cluster: string;
  node: string;
  kubernetes: ApiKubernetesRef | null;
  container: ApiContainerRef | null;
  process: ApiProcess | null;
  path: string;
  hostPath: string;
  sha256: string;
  reason: DriftReasonName;
  verdict: VerdictName;
  policyName: string;
  policyMode: PolicyModeName;
  copyOf: string;
  triageStatus: TriageStatusName;
  lastTriage: ApiTriageEvent | null;
  received: Timestamp | null;
  action: ActionName;
  /** Set for posture reasons only (null otherwise, and in reports from agents before posture). */
  posture: ApiPostureEvidence | null;
  workload: ApiWorkloadRef | null;
  truncatedFields: string[];
  /** Empty (or absent in a finding spooled by an older agent) before agents reported it. */
  attackTechniques?: string[];
  /** null (or absent) from an agent before lineage. */
  lineage?: ApiLineage | null;
  /** null (or absent) when no writer was seen, or from an agent before writers. */
  writer?: ApiFileWriter | null;
}

export interface ApiFileWriter {
  pid: number;
  executable: string;
  commandLine: string;
  uid: number;
  time: Timestamp | null;
}

export interface FindingFilter {
  since: Timestamp | null;
  until: Timestamp | null;
  cluster: string;
  namespace: string;
  pod: string;
  image: string;
  reason: DriftReasonName;
  verdict: VerdictName;
  triageStatus: TriageStatusName;
  node: string;
  /** Any of these (a glob the CLI expanded); empty matches any. */
  reasons: DriftReasonName[];
  podPrefix: string;
  pathPrefix: string;
  sha256: string;
  workloadKind: WorkloadKindName;
  workloadName: string;
  imagePrefix: string;
  container: string;
  group: ApiGroupKey | null;
}

export interface ApiGroupKey {
  by: GroupByName;
  key: string[];
}

export interface ListFindingsRequest {
  filter: FindingFilter | null;
  pageSize: number;
  pageToken: string;
}

export interface ListFindingsResponse {
  findings: ApiFinding[];
  nextPageToken: string;
  totalSize: number;
  totalIsLowerBound: boolean;
}

export interface GetFindingRequest {
  id: string;
}

export interface GetFindingResponse {
  finding: ApiFinding | null;
  triageHistory: ApiTriageEvent[];
}

export interface WatchFindingsRequest {
  filter: FindingFilter | null;
}

export interface WatchFindingsResponse {
  finding: ApiFinding | null;
  event: WatchEventName;
}

export interface UpdateTriageRequest {
  id: string;
  status: TriageStatusName;
  comment: string;
}

export interface UpdateTriageResponse {
  finding: ApiFinding | null;
}

export interface UpdateTriageBulkRequest {
  ids: string[];
  filter: FindingFilter | null;
  seenBefore: Timestamp | null;
  status: TriageStatusName;
  comment: string;
}

export interface UpdateTriageBulkResponse {
  changed: number;
  unchanged: number;
  notAllowed: number;
  notFound: string[];
}

export interface ListGroupsRequest {
  filter: FindingFilter | null;
  by: GroupByName;
  pageSize: number;
  pageToken: string;
}

export interface ApiFindingGroup {
  key: ApiGroupKey | null;
  members: FindingFilter | null;
  findings: number;
  execs: number;
  pods: number;
  nodes: number;
  namespaces: number;
  open: number;
  audited: number;
  lastSeen: Timestamp | null;
}

export interface ListGroupsResponse {
  groups: ApiFindingGroup[];
  nextPageToken: string;
}
