// The store for several collector replicas behind one Service: PostgreSQL through `pg`.
// Ingest is one multi-row INSERT ... ON CONFLICT per batch (atomic against a concurrent
// replica ingesting the same id); migrations run under an advisory lock so that replicas
// starting together apply each one once.
import pg from "pg";

import type { TriageStatus } from "../../api/convert";
import type {
  AgentHeartbeatRecord,
  FindingQuery,
  FindingRecord,
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
import {
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  RECORD_COLUMNS,
  STORED_COLUMNS,
  mergeDuplicates,
  recordValues,
  rowToFinding,
} from "./schema";
import { heartbeatValues, rowToAgent, rowToEvent, toPage } from "./rows";
import { canTransition, transitionError } from "./triage";

const p = (n: number) => `$${n}`;
// Any constant works; it only has to be the same in every replica.
const MIGRATION_LOCK = 0x64726966;
const COLUMNS = STORED_COLUMNS.join(", ");

export class PostgresStore implements FindingStore {
  readonly kind = "postgres";

  private constructor(private readonly pool: pg.Pool) {}

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
          for (const statement of m.statements) await c.query(statement);
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
    if (records.length === 0) return { inserted: 0, merged: 0, insertedIds: [] };
    const width = RECORD_COLUMNS.length + 1;
    const params: (string | number)[] = [];
    const rows = records.map((r, i) => {
      params.push(...recordValues(r), receivedMs);
      return `(${Array.from({ length: width }, (_, j) => p(i * width + j + 1)).join(", ")})`;
    });
    const result = await this.pool.query(
      `INSERT INTO findings (${RECORD_COLUMNS.join(", ")}, received_ms) VALUES ${rows.join(", ")}
       ON CONFLICT (id) DO UPDATE SET count = GREATEST(findings.count, EXCLUDED.count),
         first_seen_ms = LEAST(findings.first_seen_ms, EXCLUDED.first_seen_ms),
         last_seen_ms = GREATEST(findings.last_seen_ms, EXCLUDED.last_seen_ms)
       RETURNING id, (xmax = 0) AS inserted`,
      params,
    );
    const insertedIds = (result.rows as { id: string; inserted: boolean }[]).filter((r) => r.inserted).map((r) => r.id);
    return { inserted: insertedIds.length, merged: findings.length - insertedIds.length, insertedIds };
  }

  async list(query: FindingQuery, pageSize: number, pageToken: string, sort = DEFAULT_SORT): Promise<Page> {
    const filter = whereClause(query, p);
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

  async receivedAfter(
    query: FindingQuery,
    after: { receivedMs: number; id: string },
    limit: number,
  ): Promise<StoredFinding[]> {
    const filter = whereClause(query, p);
    const n = filter.params.length;
    const result = await this.pool.query(
      `SELECT ${COLUMNS} FROM findings
       ${joinWhere(filter.where, `received_ms >= ${p(n + 1)} AND (received_ms > ${p(n + 1)} OR id > ${p(n + 2)})`)}
       ORDER BY received_ms, id LIMIT ${p(n + 3)}`,
      [...filter.params, after.receivedMs, after.id, limit],
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
      if (from !== to) {
        await c.query(
          "UPDATE findings SET triage_status = $1, triage_actor = $2, triage_comment = $3, triage_updated_ms = $4 WHERE id = $5",
          [to, actor, comment, nowMs, id],
        );
        await c.query(
          "INSERT INTO triage_events (finding_id, time_ms, from_status, to_status, actor, comment) VALUES ($1, $2, $3, $4, $5, $6)",
          [id, nowMs, from, to, actor, comment],
        );
      }
      const updated = await c.query(`SELECT ${COLUMNS} FROM findings WHERE id = $1`, [id]);
      return { ok: true, finding: rowToFinding(updated.rows[0]) };
    });
  }

  async recordHeartbeat(h: AgentHeartbeatRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO agents (cluster, node, version, mode, containers, spool_full, native_verdicts, rejected, spool_pending, spool_bytes, identity, last_seen_ms)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (cluster, node) DO UPDATE SET version = EXCLUDED.version, mode = EXCLUDED.mode,
         containers = EXCLUDED.containers, spool_full = EXCLUDED.spool_full, native_verdicts = EXCLUDED.native_verdicts,
         rejected = EXCLUDED.rejected, spool_pending = EXCLUDED.spool_pending, spool_bytes = EXCLUDED.spool_bytes,
         identity = EXCLUDED.identity, last_seen_ms = EXCLUDED.last_seen_ms`,
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
