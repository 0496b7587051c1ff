// What the collector keeps: findings (one row per id), their triage history and the agents'
// latest heartbeats. Two implementations with the same behaviour and the same tests:
// SqliteStore (embedded, one file) and PostgresStore (several collector replicas).
import type { DriftReason } from "../../domain/driftReason";
import type { Action, PolicyMode, Verdict } from "../../domain/verdict";
import type { TriageStatus } from "../../api/convert";

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
  /** Posture findings: the spec field, its value and the key (schema version 4; "" otherwise). */
  postureField: string;
  postureValue: string;
  postureKey: string;
  /** ATT&CK technique ids, comma-separated, as reported (schema version 5; "" from older agents and rows). */
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
}

export interface TriageEventRecord {
  findingId: string;
  timeMs: number;
  from: TriageStatus;
  to: TriageStatus;
  actor: string;
  comment: string;
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
  /** At least this many execs. */
  minCount?: number;
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
}

export type TriageOutcome =
  { ok: true; finding: StoredFinding } | { ok: false; code: "NOT_FOUND" | "INVALID_TRANSITION"; message: string };

export interface FindingStore {
  readonly kind: "sqlite" | "postgres";
  /** Stores findings in one transaction: new ids inserted, known ids merged (max count, min first, max last). */
  ingest(findings: FindingRecord[], receivedMs: number): Promise<IngestResult>;
  /** A page in `sort` order (default newest first); the token must come from the same sort. */
  list(query: FindingQuery, pageSize: number, pageToken: string, sort?: FindingSort): Promise<Page>;
  /** Counts per time bucket, verdict and reason, and the top images and namespaces. */
  summary(query: SummaryQuery): Promise<FindingSummary>;
  get(id: string): Promise<{ finding: StoredFinding; history: TriageEventRecord[] } | undefined>;
  /** Findings first stored after (receivedMs, id), in (received_ms, id) order (for watchers that poll). */
  receivedAfter(
    query: FindingQuery,
    after: { receivedMs: number; id: string },
    limit: number,
  ): Promise<StoredFinding[]>;
  updateTriage(id: string, to: TriageStatus, actor: string, comment: string, nowMs: number): Promise<TriageOutcome>;
  recordHeartbeat(heartbeat: AgentHeartbeatRecord): Promise<void>;
  agents(): Promise<AgentHeartbeatRecord[]>;
  /** Deletes findings last seen before cutoffMs; returns how many. */
  deleteOlderThan(cutoffMs: number): Promise<number>;
  /** The schema version in the database. */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
