// The collector's tables, one DDL for SQLite and PostgreSQL (types both accept), applied as
// numbered migrations recorded in schema_migrations. A migration is never edited once
// released: changes are new migrations with the next number.
import type { FindingRecord, StoredFinding } from "./FindingStore";
import { samplesTable } from "./SampleStore";

/** A statement both databases take, or one spelled per database. */
export type MigrationStatement = string | { sqlite: string; postgres: string };

export interface Migration {
  version: number;
  statements: MigrationStatement[];
}

/** The statement as `dialect` spells it. */
export function statementFor(statement: MigrationStatement, dialect: "sqlite" | "postgres"): string {
  return typeof statement === "string" ? statement : statement[dialect];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE findings (
        id TEXT PRIMARY KEY,
        first_seen_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL,
        count BIGINT NOT NULL,
        cluster TEXT NOT NULL,
        node TEXT NOT NULL,
        k8s_namespace TEXT NOT NULL,
        pod TEXT NOT NULL,
        pod_uid TEXT NOT NULL,
        k8s_container TEXT NOT NULL,
        container_id TEXT NOT NULL,
        runtime_namespace TEXT NOT NULL,
        image TEXT NOT NULL,
        image_digest TEXT NOT NULL,
        pid INTEGER NOT NULL,
        ppid INTEGER NOT NULL,
        parent_exe TEXT NOT NULL,
        uid INTEGER NOT NULL,
        exe TEXT NOT NULL,
        cmdline TEXT NOT NULL,
        path TEXT NOT NULL,
        host_path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        reason TEXT NOT NULL,
        verdict TEXT NOT NULL,
        policy_name TEXT NOT NULL,
        policy_mode TEXT NOT NULL,
        copy_of TEXT NOT NULL,
        triage_status TEXT NOT NULL DEFAULT 'new',
        triage_actor TEXT NOT NULL DEFAULT '',
        triage_comment TEXT NOT NULL DEFAULT '',
        triage_updated_ms BIGINT NOT NULL DEFAULT 0,
        received_ms BIGINT NOT NULL
      )`,
      // The review queries: newest first, optionally narrowed by one of these.
      "CREATE INDEX findings_recent ON findings (first_seen_ms DESC, id DESC)",
      "CREATE INDEX findings_pod ON findings (k8s_namespace, pod, first_seen_ms DESC)",
      "CREATE INDEX findings_cluster ON findings (cluster, first_seen_ms DESC)",
      "CREATE INDEX findings_image ON findings (image, first_seen_ms DESC)",
      "CREATE INDEX findings_triage ON findings (triage_status, first_seen_ms DESC)",
      "CREATE INDEX findings_reason ON findings (reason, verdict, first_seen_ms DESC)",
      // Retention deletes by last_seen; watchers poll by received.
      "CREATE INDEX findings_last_seen ON findings (last_seen_ms)",
      "CREATE INDEX findings_received ON findings (received_ms)",
      `CREATE TABLE triage_events (
        finding_id TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        from_status TEXT NOT NULL,
        to_status TEXT NOT NULL,
        actor TEXT NOT NULL,
        comment TEXT NOT NULL
      )`,
      "CREATE INDEX triage_events_finding ON triage_events (finding_id, time_ms)",
      `CREATE TABLE agents (
        cluster TEXT NOT NULL,
        node TEXT NOT NULL,
        version TEXT NOT NULL,
        mode TEXT NOT NULL,
        containers INTEGER NOT NULL,
        spool_full BIGINT NOT NULL,
        native_verdicts BIGINT NOT NULL,
        rejected BIGINT NOT NULL,
        spool_pending BIGINT NOT NULL,
        spool_bytes BIGINT NOT NULL,
        identity TEXT NOT NULL,
        last_seen_ms BIGINT NOT NULL,
        PRIMARY KEY (cluster, node)
      )`,
    ],
  },
  {
    version: 2,
    statements: [
      // The review page's keyset pagination: every sort it offers, and the filters it uses
      // most with the default sort, are a range of one index ending in id (no sort step
      // at any page depth; test/integration/collector/reviewPagination.test.ts checks the plans).
      "CREATE INDEX findings_last_seen_id ON findings (last_seen_ms DESC, id DESC)",
      "CREATE INDEX findings_count_id ON findings (count DESC, id DESC)",
      "CREATE INDEX findings_ns_recent ON findings (k8s_namespace, first_seen_ms DESC, id DESC)",
      "CREATE INDEX findings_reason_recent ON findings (reason, first_seen_ms DESC, id DESC)",
      // Superseded by findings_last_seen_id (retention's range works on it as well).
      "DROP INDEX findings_last_seen",
    ],
  },
  {
    version: 3,
    statements: [
      // What was done to the exec (refused, killed, audited); rows from before follow their verdict.
      "ALTER TABLE findings ADD COLUMN action TEXT NOT NULL DEFAULT ''",
      "UPDATE findings SET action = CASE verdict WHEN 'blocked' THEN 'refused' ELSE 'audited' END WHERE action = ''",
    ],
  },
  {
    version: 4,
    statements: [
      // Posture findings' evidence: the spec field, what it holds, the key within the reason.
      "ALTER TABLE findings ADD COLUMN posture_field TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE findings ADD COLUMN posture_value TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE findings ADD COLUMN posture_key TEXT NOT NULL DEFAULT ''",
    ],
  },
  {
    version: 5,
    statements: [
      // The owning workload as the agent inferred it, and the fields it cut to fit.
      "ALTER TABLE findings ADD COLUMN workload_kind TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE findings ADD COLUMN workload_name TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE findings ADD COLUMN workload_inferred_from TEXT NOT NULL DEFAULT ''",
      "ALTER TABLE findings ADD COLUMN truncated TEXT NOT NULL DEFAULT ''",
      // When the finding last needed a reviewer: stored first, or reopened by a recurrence.
      // Watchers poll by it (it replaces received_ms's index).
      "ALTER TABLE findings ADD COLUMN raised_ms BIGINT NOT NULL DEFAULT 0",
      "UPDATE findings SET raised_ms = received_ms",
      "CREATE INDEX findings_raised ON findings (raised_ms, id)",
      "DROP INDEX findings_received",
      // A reviewer's change ('triage') or a recurrence ('recurred').
      "ALTER TABLE triage_events ADD COLUMN kind TEXT NOT NULL DEFAULT 'triage'",
      // Groups: one index per grouping serves both "all in this group" (a range ending in
      // the keyset columns) and the groups themselves (a scan of the index alone: every
      // column the aggregates read is in it). test/integration/collector/groupPlans.test.ts
      // checks the plans at a million findings.
      `CREATE INDEX findings_sha256_group ON findings (sha256, first_seen_ms DESC, id DESC,
        k8s_namespace, pod, node, count, last_seen_ms, triage_status, verdict)`,
      `CREATE INDEX findings_workload_group ON findings (k8s_namespace, workload_kind, workload_name,
        first_seen_ms DESC, id DESC, pod, node, count, last_seen_ms, triage_status, verdict)`,
      `CREATE INDEX findings_image_group ON findings (image, first_seen_ms DESC, id DESC,
        k8s_namespace, pod, node, count, last_seen_ms, triage_status, verdict)`,
      "DROP INDEX findings_image", // superseded by findings_image_group
      // Prefix filters are ranges in code point order: SQLite's BINARY collation; in
      // PostgreSQL the "C" collation, whatever the database's own (query.ts says so too).
      {
        sqlite: "CREATE INDEX findings_path ON findings (path)",
        postgres: 'CREATE INDEX findings_path ON findings ((path COLLATE "C"))',
      },
      {
        sqlite: "CREATE INDEX findings_pod_name ON findings (pod)",
        postgres: 'CREATE INDEX findings_pod_name ON findings ((pod COLLATE "C"))',
      },
    ],
  },
  {
    version: 6,
    statements: [
      // The investigation context (issue 16). ATT&CK technique ids as reported, comma-separated;
      // "" for rows from before, which the API derives from their reason when read.
      "ALTER TABLE findings ADD COLUMN attack_techniques TEXT NOT NULL DEFAULT ''",
      // The exec'ing process and its ancestors (driftguard.v1.Lineage as JSON, at most ~25 KiB).
      "ALTER TABLE findings ADD COLUMN lineage TEXT NOT NULL DEFAULT ''",
      // Who last wrote the executed file (driftguard.v1.FileWriter as JSON).
      "ALTER TABLE findings ADD COLUMN writer TEXT NOT NULL DEFAULT ''",
    ],
  },
  {
    version: 7, // captured samples (issue 16), one row per SHA-256, shared by PostgreSQL replicas
    statements: [
      { sqlite: samplesTable("BLOB"), postgres: samplesTable("BYTEA") },
      "CREATE INDEX samples_stored ON samples (stored_ms)",
    ],
  },
  {
    version: 8,
    statements: [
      // The agent's status as its heartbeat says it (issue 13); 'unknown' for agents before it.
      "ALTER TABLE agents ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown'",
      // Its reasons, [{code, detail, notReady}] as JSON (at most 16 of 512 characters).
      "ALTER TABLE agents ADD COLUMN status_reasons TEXT NOT NULL DEFAULT '[]'",
      "ALTER TABLE agents ADD COLUMN status_since_ms BIGINT NOT NULL DEFAULT 0",
    ],
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

const snake = (name: string): string => name.replace(/[A-Z]/g, (m) => "_" + m.toLowerCase());

/** FindingRecord fields in column order. */
export const RECORD_FIELDS: (keyof FindingRecord)[] = [
  "id",
  "firstSeenMs",
  "lastSeenMs",
  "count",
  "cluster",
  "node",
  "k8sNamespace",
  "pod",
  "podUid",
  "k8sContainer",
  "containerId",
  "runtimeNamespace",
  "image",
  "imageDigest",
  "pid",
  "ppid",
  "parentExe",
  "uid",
  "exe",
  "cmdline",
  "path",
  "hostPath",
  "sha256",
  "reason",
  "verdict",
  "policyName",
  "policyMode",
  "copyOf",
  "action",
  "postureField",
  "postureValue",
  "postureKey",
  "workloadKind",
  "workloadName",
  "workloadInferredFrom",
  "truncated",
  "attackTechniques",
  "lineage",
  "writer",
];
export const RECORD_COLUMNS = RECORD_FIELDS.map(snake);
/** The fields schema version 6 added (the investigation context of issue 16). */
export const CONTEXT_FIELDS: (keyof FindingRecord)[] = ["attackTechniques", "lineage", "writer"];
const STORED_EXTRA: (keyof StoredFinding)[] = [
  "triageStatus",
  "triageActor",
  "triageComment",
  "triageUpdatedMs",
  "receivedMs",
  "raisedMs",
];
const STORED_FIELDS = [...RECORD_FIELDS, ...STORED_EXTRA];
export const STORED_COLUMNS = STORED_FIELDS.map(snake);
const NUMERIC = new Set([
  "firstSeenMs",
  "lastSeenMs",
  "count",
  "pid",
  "ppid",
  "uid",
  "triageUpdatedMs",
  "receivedMs",
  "raisedMs",
]);

/** A database row (snake_case columns; BIGINT may come as a string from pg) as a StoredFinding. */
export function rowToFinding(row: Record<string, unknown>): StoredFinding {
  const out: Record<string, unknown> = {};
  STORED_FIELDS.forEach((field, i) => {
    const value = row[STORED_COLUMNS[i]];
    out[field] = NUMERIC.has(field) ? Number(value) : String(value ?? "");
  });
  return out as unknown as StoredFinding;
}

export function recordValues(r: FindingRecord): (string | number)[] {
  return RECORD_FIELDS.map((f) => r[f]);
}

/** One record per id: duplicates within a batch (a report and its count update) merged first. */
export function mergeDuplicates(records: FindingRecord[]): FindingRecord[] {
  const byId = new Map<string, FindingRecord>();
  for (const r of records) {
    const seen = byId.get(r.id);
    byId.set(
      r.id,
      seen
        ? {
            ...seen,
            count: Math.max(seen.count, r.count),
            firstSeenMs: Math.min(seen.firstSeenMs, r.firstSeenMs),
            lastSeenMs: Math.max(seen.lastSeenMs, r.lastSeenMs),
          }
        : r,
    );
  }
  // Sorted: concurrent PostgreSQL upserts then lock rows in the same order (no deadlock).
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
