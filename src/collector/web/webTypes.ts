// The JSON the review page's API answers with, shared by the server (web/*.ts) and the page
// (web/client/*.ts, which imports these types only).
import type { FindingView } from "../../api/findingView";
import type { FindingGroupRow } from "../store/FindingStore";

export type { FindingView };

export interface SessionResponse {
  name: string;
  role: string;
  via: string;
  canTriage: boolean;
}

export interface FindingsResponse {
  findings: FindingView[];
  /** "" on the last page. */
  nextPageToken: string;
  /** On the first page: how many match (atLeast: more than count). */
  total?: { count: number; atLeast: boolean };
  /** The collector's time when the page was read: "all matching" bulk triage takes what was raised before it. */
  asOfMs: number;
}

/** One group: the key its findings share ([hash], [image], [namespace, kind, name]) and their counts. */
export type GroupView = FindingGroupRow;

export interface GroupsResponse {
  groups: GroupView[];
  nextPageToken: string;
}

/** POST /api/triage: ids, or every finding matching filter (a findings query string) raised by seenBeforeMs. */
export interface BulkTriageBody {
  ids?: string[];
  filter?: string;
  seenBeforeMs?: number;
  status: string;
  comment?: string;
}

export interface BulkTriageResponse {
  changed: number;
  unchanged: number;
  notAllowed: number;
  notFound: string[];
}

export interface ExceptionResponse {
  /** Narrowest first. */
  suggestions: { kind: string; summary: string; yaml: string }[];
  /** How many findings the suggestions cover (a group's first ones when it is larger). */
  findings: number;
}

export interface TriageEventView {
  time: string;
  from: string;
  to: string;
  actor: string;
  comment: string;
  kind: string;
}

export interface FindingDetailResponse {
  finding: FindingView;
  history: TriageEventView[];
  /** Statuses the finding may move to next. */
  next: string[];
  /** The captured sample of the finding's file (by its SHA-256); null when none is stored. */
  sample: SampleView | null;
}

export interface SampleView {
  size: number;
  /** Admins only: GET /api/findings/ID/sample. */
  canDownload: boolean;
}

export interface AgentView {
  cluster: string;
  node: string;
  version: string;
  mode: string;
  containers: number;
  spoolPending: number;
  drops: number;
  lastSeenMs: number;
  /** No heartbeat within the agents' heartbeat interval (plus half of it for delays). */
  silent: boolean;
  /** What the collector shows: its last heartbeat's status, "silent" or "unknown" (src/domain/agentStatus.ts). */
  status: string;
  /** Why it is degraded or starting, as the agent said (hostile text: shown escaped). */
  reasons: { code: string; detail: string; notReady: boolean }[];
  /** When its status last changed, by the agent's clock; 0 when not said. */
  statusSinceMs: number;
}

export interface OverviewResponse {
  nowMs: number;
  sinceMs: number;
  untilMs: number;
  bucketMs: number;
  buckets: { startMs: number; verdict: string; reason: string; findings: number }[];
  topImages: { value: string; findings: number }[];
  topNamespaces: { value: string; findings: number }[];
  agents: AgentView[];
  heartbeatIntervalMs: number;
}

/** Overview ranges: the range and its bucket width. */
export const OVERVIEW_RANGES: Record<string, { rangeMs: number; bucketMs: number }> = {
  "1h": { rangeMs: 3600_000, bucketMs: 300_000 },
  "6h": { rangeMs: 6 * 3600_000, bucketMs: 900_000 },
  "24h": { rangeMs: 24 * 3600_000, bucketMs: 3600_000 },
  "7d": { rangeMs: 7 * 86_400_000, bucketMs: 6 * 3600_000 },
  "30d": { rangeMs: 30 * 86_400_000, bucketMs: 86_400_000 },
};
