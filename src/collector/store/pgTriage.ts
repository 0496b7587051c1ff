// The PostgreSQL store's writes of triage history and of ingest: a reviewer's change to
// many findings (bulk), the two-step ingest that can tell a recurrence, and the reopening
// it causes. Each runs on the caller's transaction client. Rows are locked in id order
// everywhere (ingest, bulk triage), so concurrent replicas never deadlock on them.
import type pg from "pg";

import type { TriageStatus } from "../../api/convert";
import { chunks, planBulkTriage, tooManyMessage } from "./bulkTriage";
import type {
  BulkTarget,
  BulkTriageOutcome,
  FindingRecord,
  StatusChange,
  StoredFinding,
  TriageEventKind,
} from "./FindingStore";
import { POSTGRES, whereClause } from "./query";
import { RECURRENCE_ACTOR, recurrenceOf, type Recurrence } from "./recurrence";
import { RECORD_COLUMNS, STORED_COLUMNS, recordValues, rowToFinding } from "./schema";

const p = POSTGRES.placeholder;
/** PostgreSQL takes at most 65535 parameters per statement; a row has ~33. */
const ROWS_PER_INSERT = 1000;

/** Sets the status of `ids` (all leaving `from`), one history entry each. */
export async function writeStatus(
  c: pg.PoolClient,
  ids: string[],
  from: TriageStatus,
  change: StatusChange,
  kind: TriageEventKind = "triage",
): Promise<void> {
  await c.query(
    `UPDATE findings SET triage_status = $1, triage_actor = $2, triage_comment = $3, triage_updated_ms = $4
     WHERE id = ANY($5::text[])`,
    [change.to, change.actor, change.comment, change.nowMs, ids],
  );
  await c.query(
    `INSERT INTO triage_events (finding_id, time_ms, from_status, to_status, actor, comment, kind)
     SELECT unnest($1::text[]), $2, $3, $4, $5, $6, $7`,
    [ids, change.nowMs, from, change.to, change.actor, change.comment, kind],
  );
}

async function reopen(c: pg.PoolClient, id: string, recurrence: Recurrence, nowMs: number): Promise<StoredFinding> {
  const change = { to: "new" as const, actor: RECURRENCE_ACTOR, comment: recurrence.comment, nowMs };
  await writeStatus(c, [id], recurrence.from, change, "recurred");
  const row = await c.query(`UPDATE findings SET raised_ms = $1 WHERE id = $2 RETURNING ${STORED_COLUMNS.join(", ")}`, [
    nowMs,
    id,
  ]);
  return rowToFinding(row.rows[0]);
}

/**
 * Ingest in two steps: new ids are inserted (ON CONFLICT DO NOTHING), then the known ones
 * are locked and read before their counts are merged, so that a count that grew on a
 * closed finding is seen and reopens it. `records` are sorted by id (mergeDuplicates).
 */
export async function ingestRecords(
  c: pg.PoolClient,
  records: FindingRecord[],
  receivedMs: number,
): Promise<{ insertedIds: string[]; reopened: StoredFinding[] }> {
  const insertedIds: string[] = [];
  for (const slice of chunks(records, ROWS_PER_INSERT)) {
    const width = RECORD_COLUMNS.length + 2;
    const params: (string | number)[] = [];
    const rows = slice.map((r, i) => {
      params.push(...recordValues(r), receivedMs, receivedMs);
      return `(${Array.from({ length: width }, (_, j) => p(i * width + j + 1)).join(", ")})`;
    });
    const result = await c.query(
      `INSERT INTO findings (${RECORD_COLUMNS.join(", ")}, received_ms, raised_ms) VALUES ${rows.join(", ")}
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      params,
    );
    insertedIds.push(...(result.rows as { id: string }[]).map((r) => r.id));
  }
  const inserted = new Set(insertedIds);
  const known = records.filter((r) => !inserted.has(r.id));
  const reopened: StoredFinding[] = [];
  if (known.length === 0) return { insertedIds, reopened };
  const before = await c.query(
    "SELECT id, count, triage_status FROM findings WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
    [known.map((r) => r.id)],
  );
  const stored = new Map(
    (before.rows as { id: string; count: string; triage_status: TriageStatus }[]).map((r) => [
      r.id,
      { count: Number(r.count), status: r.triage_status },
    ]),
  );
  await c.query(
    `UPDATE findings AS f SET count = GREATEST(f.count, v.count), first_seen_ms = LEAST(f.first_seen_ms, v.first_seen),
       last_seen_ms = GREATEST(f.last_seen_ms, v.last_seen)
     FROM (SELECT unnest($1::text[]) AS id, unnest($2::bigint[]) AS count, unnest($3::bigint[]) AS first_seen,
       unnest($4::bigint[]) AS last_seen) AS v
     WHERE f.id = v.id`,
    [
      known.map((r) => r.id),
      known.map((r) => r.count),
      known.map((r) => r.firstSeenMs),
      known.map((r) => r.lastSeenMs),
    ],
  );
  for (const r of known) {
    const was = stored.get(r.id);
    const recurrence = was && recurrenceOf(was, r.count);
    if (recurrence) reopened.push(await reopen(c, r.id, recurrence, receivedMs));
  }
  return { insertedIds, reopened };
}

/** A bulk change on the caller's transaction: the findings are locked in id order first. */
export async function bulkTriage(
  c: pg.PoolClient,
  target: BulkTarget,
  change: StatusChange,
  max: number,
): Promise<BulkTriageOutcome> {
  let rows: { id: string; status: TriageStatus }[];
  let notFound: string[] = [];
  if ("ids" in target) {
    const result = await c.query(
      "SELECT id, triage_status AS status FROM findings WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
      [[...new Set(target.ids)]],
    );
    rows = result.rows;
    const found = new Set(rows.map((r) => r.id));
    notFound = target.ids.filter((id) => !found.has(id));
  } else {
    const filter = whereClause(target.query, POSTGRES);
    const result = await c.query(
      `SELECT id, triage_status AS status FROM findings ${filter.where ? `WHERE ${filter.where}` : ""}
       ORDER BY id LIMIT ${p(filter.params.length + 1)} FOR UPDATE`,
      [...filter.params, max + 1],
    );
    rows = result.rows;
  }
  if (rows.length > max) return { ok: false, code: "TOO_MANY", message: tooManyMessage(rows.length, max) };
  const plan = planBulkTriage(rows, change.to);
  for (const [from, ids] of plan.moves) {
    for (const slice of chunks(ids, 10_000)) await writeStatus(c, slice, from, change);
  }
  return { ok: true, changed: plan.changed, unchanged: plan.unchanged, notAllowed: plan.notAllowed, notFound };
}
