// What the collector keeps: findings (one row per id), their triage history and the agents'
// latest heartbeats. Two implementations with the same behaviour and the same tests:
// SqliteStore (embedded, one file) and PostgresStore (several collector replicas).
import type { AgentStatus, HealthReason } from "../../domain/agentStatus";
import type { DriftReason } from "../../domain/driftReason";
import type { Action, PolicyMode, Verdict } from "../../domain/verdict";
import type { WorkloadKind } from "../../domain/workload";
import type { TriageStatus } from "../../api/convert";
import type { SampleStore } from "./SampleStore";

/** A validated finding as reported (no collector-side fields). Column names are snake_case of these. */
export interface FindingRecord {
  id: string;
  firstSeenMs: number;
  lastSeenMs: number;
  count: number;
  cluster: string;
  node: string;
  k8sNamespace: string;
  pod: string;
  podUid: string;
  k8sContainer: string;
  containerId: string;
  runtimeNamespace: string;
  image: string;
  imageDigest: string;
  pid: number;
  ppid: number;
  parentExe: string;
  uid: number;
  exe: string;
  cmdline: string;
  path: string;
  hostPath: string;
  sha256: string;
  reason: DriftReason;
  verdict: Verdict;
  policyName: string;
  policyMode: PolicyMode;
  copyOf: string;
  /** What was done to the exec (stored since schema version 3; older rows follow their verdict). */
  action: Action;
  /** The owning workload as the agent inferred it; "" when unknown (schema version 5). */
  workloadKind: WorkloadKind | "";
  workloadName: string;
  /** What the agent inferred the workload from (a label). */
  workloadInferredFrom: string;
  /** Fields the agent cut to fit, comma-separated ("process.command_line"); "" for none. */
  truncated: string;
  /** Posture findings: the spec field, its value and the key (schema version 4; "" otherwise). */
  postureField: string;
  postureValue: string;
  postureKey: string;
  /** ATT&CK technique ids, comma-separated, as reported (schema version 6; "" from older agents and rows). */
  attackTechniques: string;
  /** The reported lineage (driftguard.v1.Lineage as JSON, checked at ingest), "" when none was reported. */
  lineage: string;
  /** The reported writer (driftguard.v1.FileWriter as JSON, checked at ingest), "" when none. */
  writer: string;
}

export interface StoredFinding extends FindingRecord {
  triageStatus: TriageStatus;
  triageActor: string;
  triageComment: string;
  /** 0 when never triaged. */
  triageUpdatedMs: number;
  receivedMs: number;
  /** When it last needed a reviewer: received, or reopened by a recurrence (then later than receivedMs). */
  raisedMs: number;
}

/** A reviewer's change, or the collector reopening a finding whose execs went on. */
export type TriageEventKind = "triage" | "recurred";

export interface TriageEventRecord {
  findingId: string;
  timeMs: number;
  from: TriageStatus;
  to: TriageStatus;
  actor: string;
  comment: string;
  kind: TriageEventKind;
}

export interface AgentHeartbeatRecord {
  cluster: string;
  node: string;
  version: string;
  mode: string;
  containers: number;
  spoolFull: number;
  nativeVerdicts: number;
  rejected: number;
  spoolPending: number;
  spoolBytes: number;
  /** Who the agent authenticated as (certificate CN), "" when insecure. */
  identity: string;
  lastSeenMs: number;
  /** As the agent said it; "unknown" from an agent that does not say (schema 8). */
  status: AgentStatus | "unknown";
  reasons: HealthReason[];
  /** When the status last changed, by the agent's clock; 0 when not said. */
  statusSinceMs: number;
}

/** Every set field must match. */
export interface FindingQuery {
  sinceMs?: number;
  untilMs?: number;
  cluster?: string;
  namespace?: string;
  pod?: string;
  /** Kubernetes container name. */
  container?: string;
  image?: string;
  node?: string;
  reason?: DriftReason;
  /** Any of these reasons (a glob expanded by the caller); empty matches none. */
  reasons?: DriftReason[];
  verdict?: Verdict;
  triageStatus?: TriageStatus;
  /** Path inside the container starts with this. */
  pathPrefix?: string;
  /** Pod name starts with this. */
  podPrefix?: string;
  /** Image reference starts with this. */
  imagePrefix?: string;
  sha256?: string;
  workloadKind?: WorkloadKind;
  workloadName?: string;
  /** At least this many execs. */
  minCount?: number;
  /** Stored or reopened at or before this time (bulk triage: only what the reviewer saw). */
  raisedBeforeMs?: number;
  /** One group's findings: its key columns equal these values, empty ones included. */
  group?: { by: GroupBy; key: string[] };
}

/** Orders the review page can ask for; each is served by an index (keyset pagination). */
export type FindingSort =
  "first_seen_desc" | "first_seen_asc" | "last_seen_desc" | "last_seen_asc" | "count_desc" | "count_asc";

/** What the overview shows for a time range (findings first seen in [sinceMs, untilMs)). */
export interface SummaryQuery {
  sinceMs: number;
  untilMs: number;
  /** Width of a time bucket. */
  bucketMs: number;
  /** Entries of the top-N lists. */
  top: number;
}

export interface SummaryBucket {
  /** Start of the bucket. */
  startMs: number;
  verdict: Verdict;
  reason: DriftReason;
  findings: number;
}

export interface FindingSummary {
  /** Only non-empty (bucket, verdict, reason) combinations. */
  buckets: SummaryBucket[];
  topImages: { value: string; findings: number }[];
  topNamespaces: { value: string; findings: number }[];
}

export interface Page {
  findings: StoredFinding[];
  /** "" on the last page. */
  nextPageToken: string;
}

export interface IngestResult {
  inserted: number;
  merged: number;
  /** Ids stored for the first time (webhook, metrics); not part of the ack. */
  insertedIds: string[];
  /** Resolved or false-positive findings whose count grew: reopened as new, as stored now. */
  reopened: StoredFinding[];
}

/** A status change as the store writes it. */
export interface StatusChange {
  to: TriageStatus;
  actor: string;
  comment: string;
  nowMs: number;
}

/** Which findings a bulk triage changes. */
export type BulkTarget = { ids: string[] } | { query: FindingQuery };

export type BulkTriageOutcome =
  | { ok: true; changed: number; unchanged: number; notAllowed: number; notFound: string[] }
  | { ok: false; code: "TOO_MANY"; message: string };

/** What findings are grouped by. */
export type GroupBy = "sha256" | "workload" | "image";

/** One group: the value its findings share and their aggregates. */
export interface FindingGroupRow {
  /** sha256: [hash]; image: [image]; workload: [namespace, kind, name]. */
  key: string[];
  findings: number;
  execs: number;
  pods: number;
  nodes: number;
  namespaces: number;
  /** Findings with status new. */
  open: number;
  audited: number;
  lastSeenMs: number;
}

export interface GroupPage {
  groups: FindingGroupRow[];
  nextPageToken: string;
}

export type TriageOutcome =
  { ok: true; finding: StoredFinding } | { ok: false; code: "NOT_FOUND" | "INVALID_TRANSITION"; message: string };

export interface FindingStore {
  readonly kind: "sqlite" | "postgres";
  /** Captured samples, by SHA-256 (schema version 7). */
  readonly samples: SampleStore;
  /** Stores findings in one transaction: new ids inserted, known ids merged (max count, min first, max last). */
  ingest(findings: FindingRecord[], receivedMs: number): Promise<IngestResult>;
  /** A page in `sort` order (default newest first); the token must come from the same sort. */
  list(query: FindingQuery, pageSize: number, pageToken: string, sort?: FindingSort): Promise<Page>;
  /** Counts per time bucket, verdict and reason, and the top images and namespaces. */
  summary(query: SummaryQuery): Promise<FindingSummary>;
  get(id: string): Promise<{ finding: StoredFinding; history: TriageEventRecord[] } | undefined>;
  /** Findings raised (stored, or reopened) after (raisedMs, id), in that order (for watchers that poll). */
  raisedAfter(query: FindingQuery, after: { raisedMs: number; id: string }, limit: number): Promise<StoredFinding[]>;
  updateTriage(id: string, to: TriageStatus, actor: string, comment: string, nowMs: number): Promise<TriageOutcome>;
  /** One status change for many findings (at most `max`; more is TOO_MANY), one history entry each. */
  updateTriageMany(target: BulkTarget, change: StatusChange, max: number): Promise<BulkTriageOutcome>;
  /** Findings matching `query`, counted up to `cap` (cap + 1 means more). */
  countMatching(query: FindingQuery, cap: number): Promise<number>;
  /** Groups of the findings matching `query`, the largest first. */
  groups(query: FindingQuery, by: GroupBy, pageSize: number, pageToken: string): Promise<GroupPage>;
  recordHeartbeat(heartbeat: AgentHeartbeatRecord): Promise<void>;
  agents(): Promise<AgentHeartbeatRecord[]>;
  /** Deletes findings last seen before cutoffMs; returns how many. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
  /** The schema version in the database. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
