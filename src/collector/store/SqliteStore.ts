// The embedded store: one SQLite file (better-sqlite3), created on first start. WAL with
// synchronous=FULL: a transaction is on disk when ingest() returns, so an ack never
// precedes durability. better-sqlite3 is synchronous; each call is one short transaction.
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";

import type { TriageStatus } from "../../api/convert";
import type {
  AgentHeartbeatRecord,
  FindingQuery,
  FindingRecord,
  FindingSort,
  FindingStore,
  FindingSummary,
  IngestResult,
  Page,
  StoredFinding,
  SummaryQuery,
  TriageEventRecord,
  TriageOutcome,
} from "./FindingStore";
import { DEFAULT_SORT, afterKey, joinWhere, orderBy, whereClause } from "./query";
import { summarySql, toSummary } from "./summary";
import { heartbeatValues, rowToAgent, rowToEvent, toPage } from "./rows";
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  RECORD_COLUMNS,
  STORED_COLUMNS,
  mergeDuplicates,
  recordValues,
  rowToFinding,
} from "./schema";
import { canTransition, transitionError } from "./triage";

const q = () => "?";
// A range on the index plus a tie-break, so that a poll seeks to where it left off (the
// plain OR form scans the whole index: ~25 ms per poll at 200 000 findings).
const RECEIVED_AFTER = "received_ms >= ? AND (received_ms > ? OR id > ?)";

export class SqliteStore implements FindingStore {
  readonly kind = "sqlite";
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  private readonly merge: Database.Statement;

  constructor(file: string) {
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    migrate(this.db);
    this.insert = this.db.prepare(
      `INSERT OR IGNORE INTO findings (${RECORD_COLUMNS.join(", ")}, received_ms) VALUES (${RECORD_COLUMNS.map(q).join(", ")}, ?)`,
    );
    this.merge = this.db.prepare(
      `UPDATE findings SET count = max(count, ?), first_seen_ms = min(first_seen_ms, ?), last_seen_ms = max(last_seen_ms, ?) WHERE id = ?`,
    );
  }

  async ingest(findings: FindingRecord[], receivedMs: number): Promise<IngestResult> {
    const run = this.db.transaction((records: FindingRecord[]) => {
      const insertedIds: string[] = [];
      for (const r of records) {
        if (this.insert.run(...recordValues(r), receivedMs).changes === 1) insertedIds.push(r.id);
        else this.merge.run(r.count, r.firstSeenMs, r.lastSeenMs, r.id);
      }
      return insertedIds;
    });
    const insertedIds = run(mergeDuplicates(findings));
    return { inserted: insertedIds.length, merged: findings.length - insertedIds.length, insertedIds };
  }

  async list(query: FindingQuery, pageSize: number, pageToken: string, sort = DEFAULT_SORT): Promise<Page> {
    const { sql, params } = this.listSql(query, pageSize, pageToken, sort);
    const rows = this.db.prepare(sql).all(...params) as Record<string, unknown>[];
    return toPage(rows.map(rowToFinding), pageSize, sort);
  }

  /** The statement list() runs (tests read its query plan). */
  listSql(query: FindingQuery, pageSize: number, pageToken: string, sort: FindingSort) {
    const filter = whereClause(query, q);
    const after = afterKey(pageToken, sort, q, 0);
    return {
      sql: `SELECT ${STORED_COLUMNS.join(", ")} FROM findings ${joinWhere(filter.where, after.where)} ${orderBy(sort)} LIMIT ?`,
      params: [...filter.params, ...after.params, pageSize + 1],
    };
  }

  /** EXPLAIN QUERY PLAN of a statement, one detail line per step. */
  queryPlan(sql: string, params: (string | number)[]): string[] {
    const rows = this.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    return rows.map((r) => r.detail);
  }

  async summary(query: SummaryQuery): Promise<FindingSummary> {
    const sql = summarySql(query, q);
    const all = (part: { sql: string; params: number[] }) =>
      this.db.prepare(part.sql).all(...part.params) as Record<string, unknown>[];
    return toSummary(query, all(sql.buckets), all(sql.top("image")), all(sql.top("k8s_namespace")));
  }

  async get(id: string): Promise<{ finding: StoredFinding; history: TriageEventRecord[] } | undefined> {
    const row = this.db.prepare(`SELECT ${STORED_COLUMNS.join(", ")} FROM findings WHERE id = ?`).get(id);
    if (!row) return undefined;
    const events = this.db
      .prepare("SELECT * FROM triage_events WHERE finding_id = ? ORDER BY time_ms, rowid")
      .all(id) as Record<string, unknown>[];
    return { finding: rowToFinding(row as Record<string, unknown>), history: events.map(rowToEvent) };
  }

  async receivedAfter(
    query: FindingQuery,
    after: { receivedMs: number; id: string },
    limit: number,
  ): Promise<StoredFinding[]> {
    const filter = whereClause(query, q);
    const rows = this.db
      .prepare(
        `SELECT ${STORED_COLUMNS.join(", ")} FROM findings
         ${joinWhere(filter.where, RECEIVED_AFTER)} ORDER BY received_ms, id LIMIT ?`,
      )
      .all(...filter.params, after.receivedMs, after.receivedMs, after.id, limit) as Record<string, unknown>[];
    return rows.map(rowToFinding);
  }

  async updateTriage(
    id: string,
    to: TriageStatus,
    actor: string,
    comment: string,
    nowMs: number,
  ): Promise<TriageOutcome> {
    const run = this.db.transaction((): TriageOutcome => {
      const row = this.db.prepare("SELECT triage_status FROM findings WHERE id = ?").get(id) as
        { triage_status: TriageStatus } | undefined;
      if (!row) return { ok: false, code: "NOT_FOUND", message: `no finding ${id}` };
      const from = row.triage_status;
      if (!canTransition(from, to))
        return { ok: false, code: "INVALID_TRANSITION", message: transitionError(from, to) };
      if (from !== to) {
        this.db
          .prepare(
            "UPDATE findings SET triage_status = ?, triage_actor = ?, triage_comment = ?, triage_updated_ms = ? WHERE id = ?",
          )
          .run(to, actor, comment, nowMs, id);
        this.db
          .prepare(
            "INSERT INTO triage_events (finding_id, time_ms, from_status, to_status, actor, comment) VALUES (?, ?, ?, ?, ?, ?)",
          )
          .run(id, nowMs, from, to, actor, comment);
      }
      const updated = this.db.prepare(`SELECT ${STORED_COLUMNS.join(", ")} FROM findings WHERE id = ?`).get(id);
      return { ok: true, finding: rowToFinding(updated as Record<string, unknown>) };
    });
    return run();
  }

  async recordHeartbeat(h: AgentHeartbeatRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO agents (cluster, node, version, mode, containers, spool_full, native_verdicts, rejected, spool_pending, spool_bytes, identity, last_seen_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (cluster, node) DO UPDATE SET version = excluded.version, mode = excluded.mode,
           containers = excluded.containers, spool_full = excluded.spool_full, native_verdicts = excluded.native_verdicts,
           rejected = excluded.rejected, spool_pending = excluded.spool_pending, spool_bytes = excluded.spool_bytes,
           identity = excluded.identity, last_seen_ms = excluded.last_seen_ms`,
      )
      .run(...heartbeatValues(h));
  }

  async agents(): Promise<AgentHeartbeatRecord[]> {
    const rows = this.db.prepare("SELECT * FROM agents ORDER BY cluster, node").all() as Record<string, unknown>[];
    return rows.map(rowToAgent);
  }

  async deleteOlderThan(cutoffMs: number): Promise<number> {
    return this.db.transaction(() => {
      this.db
        .prepare("DELETE FROM triage_events WHERE finding_id IN (SELECT id FROM findings WHERE last_seen_ms < ?)")
        .run(cutoffMs);
      this.db.prepare("DELETE FROM agents WHERE last_seen_ms < ?").run(cutoffMs);
      return this.db.prepare("DELETE FROM findings WHERE last_seen_ms < ?").run(cutoffMs).changes;
    })();
  }

  async schemaVersion(): Promise<number> {
    const row = this.db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null };
    return row.v ?? 0;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)");
  db.transaction(() => {
    const current =
      (db.prepare("SELECT max(version) AS v FROM schema_migrations").get() as { v: number | null }).v ?? 0;
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `the database's schema version ${current} is newer than this collector's (${LATEST_SCHEMA_VERSION}): run a newer driftguard collector`,
      );
    }
    for (const m of MIGRATIONS.filter((m) => m.version > current)) {
      for (const statement of m.statements) db.exec(statement);
      db.prepare("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)").run(m.version, Date.now());
    }
  }).immediate();
}
