// The embedded store: one SQLite file (better-sqlite3), created on first start. WAL with
// synchronous=FULL: a transaction is on disk when ingest() returns, so an ack never
// precedes durability. better-sqlite3 is synchronous; each call is one short transaction.
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";

import type { TriageStatus } from "../../api/convert";
import type {
  AgentHeartbeatRecord,
  BulkTarget,
  BulkTriageOutcome,
  FindingQuery,
  FindingRecord,
  FindingSort,
  FindingStore,
  FindingSummary,
  GroupBy,
  GroupPage,
  IngestResult,
  Page,
  StatusChange,
  StoredFinding,
  SummaryQuery,
  TriageEventRecord,
  TriageOutcome,
} from "./FindingStore";
import { groupsSql, toGroupPage } from "./groups";
import { DEFAULT_SORT, SQLITE, afterKey, joinWhere, orderBy, whereClause } from "./query";
import { recurrenceOf } from "./recurrence";
import { summarySql, toSummary } from "./summary";
import { heartbeatUpsert, heartbeatValues, rowToAgent, rowToEvent, toPage } from "./rows";
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  RECORD_COLUMNS,
  STORED_COLUMNS,
  mergeDuplicates,
  recordValues,
  rowToFinding,
  statementFor,
} from "./schema";
import { SqliteSamples } from "./sqliteSamples";
import { bulkTriage, reopen, writeStatus } from "./sqliteTriage";
import { canTransition, transitionError } from "./triage";

const q = SQLITE.placeholder;
// A range on the index plus a tie-break, so that a poll seeks to where it left off (the
// plain OR form scans the whole index: ~25 ms per poll at 200 000 findings).
const RAISED_AFTER = "raised_ms >= ? AND (raised_ms > ? OR id > ?)";

export class SqliteStore implements FindingStore {
  readonly kind = "sqlite";
  readonly samples: SqliteSamples;
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
    this.samples = new SqliteSamples(this.db);
    this.insert = this.db.prepare(
      `INSERT OR IGNORE INTO findings (${RECORD_COLUMNS.join(", ")}, received_ms, raised_ms)
       VALUES (${RECORD_COLUMNS.map(() => "?").join(", ")}, ?, ?)`,
    );
    this.merge = this.db.prepare(
      `UPDATE findings SET count = max(count, ?), first_seen_ms = min(first_seen_ms, ?), last_seen_ms = max(last_seen_ms, ?) WHERE id = ?`,
    );
  }

  async ingest(findings: FindingRecord[], receivedMs: number): Promise<IngestResult> {
    const stored = this.db.prepare("SELECT count, triage_status AS status FROM findings WHERE id = ?");
    const run = this.db.transaction((records: FindingRecord[]) => {
      const insertedIds: string[] = [];
      const reopened: StoredFinding[] = [];
      for (const r of records) {
        if (this.insert.run(...recordValues(r), receivedMs, receivedMs).changes === 1) {
          insertedIds.push(r.id);
          continue;
        }
        const before = stored.get(r.id) as { count: number; status: TriageStatus };
        this.merge.run(r.count, r.firstSeenMs, r.lastSeenMs, r.id);
        const recurrence = recurrenceOf(before, r.count);
        if (!recurrence) continue;
        reopen(this.db, r.id, recurrence, receivedMs);
        reopened.push(this.read(r.id)!);
      }
      return { insertedIds, reopened };
    });
    const { insertedIds, reopened } = run(mergeDuplicates(findings));
    return { inserted: insertedIds.length, merged: findings.length - insertedIds.length, insertedIds, reopened };
  }

  async list(query: FindingQuery, pageSize: number, pageToken: string, sort = DEFAULT_SORT): Promise<Page> {
    const { sql, params } = this.listSql(query, pageSize, pageToken, sort);
    const rows = this.db.prepare(sql).all(...params) as Record<string, unknown>[];
    return toPage(rows.map(rowToFinding), pageSize, sort);
  }

  /** The statement list() runs (tests read its query plan). */
  listSql(query: FindingQuery, pageSize: number, pageToken: string, sort: FindingSort) {
    const filter = whereClause(query, SQLITE);
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
    const finding = this.read(id);
    if (!finding) return undefined;
    const events = this.db
      .prepare("SELECT * FROM triage_events WHERE finding_id = ? ORDER BY time_ms, rowid")
      .all(id) as Record<string, unknown>[];
    return { finding, history: events.map(rowToEvent) };
  }

  async raisedAfter(
    query: FindingQuery,
    after: { raisedMs: number; id: string },
    limit: number,
  ): Promise<StoredFinding[]> {
    const filter = whereClause(query, SQLITE);
    const rows = this.db
      .prepare(
        `SELECT ${STORED_COLUMNS.join(", ")} FROM findings
         ${joinWhere(filter.where, RAISED_AFTER)} ORDER BY raised_ms, id LIMIT ?`,
      )
      .all(...filter.params, after.raisedMs, after.raisedMs, after.id, limit) as Record<string, unknown>[];
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
      if (from !== to) writeStatus(this.db, [id], from, { to, actor, comment, nowMs });
      return { ok: true, finding: this.read(id)! };
    });
    return run();
  }

  async updateTriageMany(target: BulkTarget, change: StatusChange, max: number): Promise<BulkTriageOutcome> {
    return this.db.transaction(() => bulkTriage(this.db, target, change, max)).immediate();
  }

  async countMatching(query: FindingQuery, cap: number): Promise<number> {
    const { sql, params } = this.countSql(query, cap);
    return (this.db.prepare(sql).get(...params) as { n: number }).n;
  }

  /** The statement countMatching() runs (tests read its query plan). */
  countSql(query: FindingQuery, cap: number) {
    const filter = whereClause(query, SQLITE);
    return {
      sql: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM findings ${joinWhere(filter.where)} LIMIT ?)`,
      params: [...filter.params, cap + 1],
    };
  }

  async groups(query: FindingQuery, by: GroupBy, pageSize: number, pageToken: string): Promise<GroupPage> {
    const { sql, params } = groupsSql(query, by, pageSize, pageToken, SQLITE);
    return toGroupPage(this.db.prepare(sql).all(...params) as Record<string, unknown>[], by, pageSize);
  }

  async recordHeartbeat(h: AgentHeartbeatRecord): Promise<void> {
    this.db.prepare(heartbeatUpsert(() => "?")).run(...heartbeatValues(h));
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

  private read(id: string): StoredFinding | undefined {
    const row = this.db.prepare(`SELECT ${STORED_COLUMNS.join(", ")} FROM findings WHERE id = ?`).get(id);
    return row ? rowToFinding(row as Record<string, unknown>) : undefined;
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
      for (const statement of m.statements) db.exec(statementFor(statement, "sqlite"));
      db.prepare("INSERT INTO schema_migrations (version, applied_ms) VALUES (?, ?)").run(m.version, Date.now());
    }
  }).immediate();
}
