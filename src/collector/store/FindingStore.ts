// What the collector keeps: findings (one row per id), their triage history and the agents'
// latest heartbeats. Two implementations with the same behaviour and the same tests:
// SqliteStore (embedded, one file) and PostgresStore (several collector replicas).
import type { DriftReason, PolicyMode, Verdict } from "../../native/binding";
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
  image?: string;
  node?: string;
  reason?: DriftReason;
  verdict?: Verdict;
  triageStatus?: TriageStatus;
}

export interface Page {
  findings: StoredFinding[];
  /** "" on the last page. */
  nextPageToken: string;
}

export interface IngestResult {
  inserted: number;
  merged: number;
}

export type TriageOutcome =
  { ok: true; finding: StoredFinding } | { ok: false; code: "NOT_FOUND" | "INVALID_TRANSITION"; message: string };

export interface FindingStore {
  readonly kind: "sqlite" | "postgres";
  /** Stores findings in one transaction: new ids inserted, known ids merged (max count, min first, max last). */
  ingest(findings: FindingRecord[], receivedMs: number): Promise<IngestResult>;
  list(query: FindingQuery, pageSize: number, pageToken: string): Promise<Page>;
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
