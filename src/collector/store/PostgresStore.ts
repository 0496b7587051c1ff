// The store for several collector replicas behind one Service: PostgreSQL through `pg`.
// Ingest is one multi-row INSERT ... ON CONFLICT per batch (atomic against a concurrent
// replica ingesting the same id); migrations run under an advisory lock so that replicas
// starting together apply each one once.
import pg from "pg";

import type { TriageStatus } from "../../api/convert";
import type {
  AgentHeartbeatRecord,
  BulkTarget,
  BulkTriageOutcome,
  FindingQuery,
  FindingRecord,
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
import { PgSamples } from "./pgSamples";
import { bulkTriage, ingestRecords, writeStatus } from "./pgTriage";
import { DEFAULT_SORT, POSTGRES, afterKey, joinWhere, orderBy, whereClause } from "./query";
import { summarySql, toSummary } from "./summary";
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  STORED_COLUMNS,
  mergeDuplicates,
  rowToFinding,
  statementFor,
} from "./schema";
import { heartbeatUpsert, heartbeatValues, rowToAgent, rowToEvent, toPage } from "./rows";
import { canTransition, transitionError } from "./triage";

const p = POSTGRES.placeholder;
// Any constant works; it only has to be the same in every replica.
const MIGRATION_LOCK = 0x64726966;
const COLUMNS = STORED_COLUMNS.join(", ");

export class PostgresStore implements FindingStore {
  readonly kind = "postgres";
  readonly samples: PgSamples;

  private constructor(private readonly pool: pg.Pool) {
    this.samples = new PgSamples(pool);
  }

  static async open(connectionString: string): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString, max: 8, connectionTimeoutMillis: 10_000 });
    // An idle client losing its server (restart, failover) must not crash the collector.
    pool.on("error", () => undefined);
    const store = new PostgresStore(pool);
    try {
      await store.transaction(async (c) => {
        await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
        await c.query(
          "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)",
        );
        const current = Number(
          (await c.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations")).rows[0].v,
        );
        if (current > LATEST_SCHEMA_VERSION) {
          throw new Error(
            `the database's schema version ${current} is newer than this collector's (${LATEST_SCHEMA_VERSION}): run a newer driftguard collector`,
          );
        }
        for (const m of MIGRATIONS.filter((m) => m.version > current)) {
          for (const statement of m.statements) await c.query(statementFor(statement, "postgres"));
          await c.query("INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)", [m.version, Date.now()]);
        }
      });
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async ingest(findings: FindingRecord[], receivedMs: number): Promise<IngestResult> {
    const records = mergeDuplicates(findings);
    if (records.length === 0) return { inserted: 0, merged: 0, insertedIds: [], reopened: [] };
    const { insertedIds, reopened } = await this.transaction((c) => ingestRecords(c, records, receivedMs));
    return { inserted: insertedIds.length, merged: findings.length - insertedIds.length, insertedIds, reopened };
  }

  async list(query: FindingQuery, pageSize: number, pageToken: string, sort = DEFAULT_SORT): Promise<Page> {
    const filter = whereClause(query, POSTGRES);
    const after = afterKey(pageToken, sort, p, filter.params.length + 1);
    const params = [...filter.params, ...after.params, pageSize + 1];
    const result = await this.pool.query(
      `SELECT ${COLUMNS} FROM findings ${joinWhere(filter.where, after.where)} ${orderBy(sort)} LIMIT ${p(params.length)}`,
      params,
    );
    return toPage(result.rows.map(rowToFinding), pageSize, sort);
  }

  async summary(query: SummaryQuery): Promise<FindingSummary> {
    const sql = summarySql(query, p);
    const run = async (part: { sql: string; params: number[] }) => (await this.pool.query(part.sql, part.params)).rows;
    const [buckets, images, namespaces] = await Promise.all([
      run(sql.buckets),
      run(sql.top("image")),
      run(sql.top("k8s_namespace")),
    ]);
    return toSummary(query, buckets, images, namespaces);
  }

  async get(id: string): Promise<{ finding: StoredFinding; history: TriageEventRecord[] } | undefined> {
    const found = await this.pool.query(`SELECT ${COLUMNS} FROM findings WHERE id = $1`, [id]);
    if (found.rowCount === 0) return undefined;
    const events = await this.pool.query("SELECT * FROM triage_events WHERE finding_id = $1 ORDER BY time_ms, ctid", [
      id,
    ]);
    return { finding: rowToFinding(found.rows[0]), history: events.rows.map(rowToEvent) };
  }

  async raisedAfter(
    query: FindingQuery,
    after: { raisedMs: number; id: string },
    limit: number,
  ): Promise<StoredFinding[]> {
    const filter = whereClause(query, POSTGRES);
    const n = filter.params.length;
    const result = await this.pool.query(
      `SELECT ${COLUMNS} FROM findings
       ${joinWhere(filter.where, `raised_ms >= ${p(n + 1)} AND (raised_ms > ${p(n + 1)} OR id > ${p(n + 2)})`)}
       ORDER BY raised_ms, id LIMIT ${p(n + 3)}`,
      [...filter.params, after.raisedMs, after.id, limit],
    );
    return result.rows.map(rowToFinding);
  }

  async updateTriage(
    id: string,
    to: TriageStatus,
    actor: string,
    comment: string,
    nowMs: number,
  ): Promise<TriageOutcome> {
    return this.transaction(async (c): Promise<TriageOutcome> => {
      const row = await c.query("SELECT triage_status FROM findings WHERE id = $1 FOR UPDATE", [id]);
      if (row.rowCount === 0) return { ok: false, code: "NOT_FOUND", message: `no finding ${id}` };
      const from = row.rows[0].triage_status as TriageStatus;
      if (!canTransition(from, to))
        return { ok: false, code: "INVALID_TRANSITION", message: transitionError(from, to) };
      if (from !== to) await writeStatus(c, [id], from, { to, actor, comment, nowMs });
      const updated = await c.query(`SELECT ${COLUMNS} FROM findings WHERE id = $1`, [id]);
      return { ok: true, finding: rowToFinding(updated.rows[0]) };
    });
  }

  async updateTriageMany(target: BulkTarget, change: StatusChange, max: number): Promise<BulkTriageOutcome> {
    return this.transaction((c) => bulkTriage(c, target, change, max));
  }

  async countMatching(query: FindingQuery, cap: number): Promise<number> {
    const filter = whereClause(query, POSTGRES);
    const result = await this.pool.query(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM findings ${joinWhere(filter.where)} LIMIT ${p(filter.params.length + 1)}) AS m`,
      [...filter.params, cap + 1],
    );
    return Number(result.rows[0].n);
  }

  async groups(query: FindingQuery, by: GroupBy, pageSize: number, pageToken: string): Promise<GroupPage> {
    const { sql, params } = groupsSql(query, by, pageSize, pageToken, POSTGRES);
    return toGroupPage((await this.pool.query(sql, params)).rows, by, pageSize);
  }

  async recordHeartbeat(h: AgentHeartbeatRecord): Promise<void> {
    await this.pool.query(
      heartbeatUpsert((i) => `$${i}`),
      heartbeatValues(h),
    );
  }

  async agents(): Promise<AgentHeartbeatRecord[]> {
    return (await this.pool.query("SELECT * FROM agents ORDER BY cluster, node")).rows.map(rowToAgent);
  }

  async deleteOlderThan(cutoffMs: number): Promise<number> {
    return this.transaction(async (c) => {
      await c.query("DELETE FROM triage_events WHERE finding_id IN (SELECT id FROM findings WHERE last_seen_ms < $1)", [
        cutoffMs,
      ]);
      await c.query("DELETE FROM agents WHERE last_seen_ms < $1", [cutoffMs]);
      return (await c.query("DELETE FROM findings WHERE last_seen_ms < $1", [cutoffMs])).rowCount ?? 0;
    });
  }

  async schemaVersion(): Promise<number> {
    return Number((await this.pool.query("SELECT coalesce(max(version), 0) AS v FROM schema_migrations")).rows[0].v);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
