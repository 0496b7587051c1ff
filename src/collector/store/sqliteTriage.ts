// The SQLite store's writes of triage history: a reviewer's change to one finding or to
// many (bulk), and the reopening of a recurring finding at ingest. Each runs inside the
// caller's transaction (better-sqlite3 is synchronous: nothing interleaves).
import type Database from "better-sqlite3";

import type { TriageStatus } from "../../api/convert";
import { chunks, planBulkTriage, tooManyMessage } from "./bulkTriage";
import type { BulkTarget, BulkTriageOutcome, StatusChange, TriageEventKind } from "./FindingStore";
import { SQLITE, whereClause } from "./query";
import { RECURRENCE_ACTOR, type Recurrence } from "./recurrence";

/** SQLite's limit on parameters is 32766; IN lists stay far below. */
const IN_LIST = 500;

/** Sets the status of `ids` (all leaving `from`) and records one history entry each. */
export function writeStatus(
  db: Database.Database,
  ids: string[],
  from: TriageStatus,
  change: StatusChange,
  kind: TriageEventKind = "triage",
): void {
  const event = db.prepare(
    "INSERT INTO triage_events (finding_id, time_ms, from_status, to_status, actor, comment, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  for (const slice of chunks(ids, IN_LIST)) {
    db.prepare(
      `UPDATE findings SET triage_status = ?, triage_actor = ?, triage_comment = ?, triage_updated_ms = ?
       WHERE id IN (${slice.map(() => "?").join(", ")})`,
    ).run(change.to, change.actor, change.comment, change.nowMs, ...slice);
    for (const id of slice) event.run(id, change.nowMs, from, change.to, change.actor, change.comment, kind);
  }
}

/** Reopens a recurring finding: status new, raised again now, a "recurred" history entry. */
export function reopen(db: Database.Database, id: string, recurrence: Recurrence, nowMs: number): void {
  writeStatus(
    db,
    [id],
    recurrence.from,
    { to: "new", actor: RECURRENCE_ACTOR, comment: recurrence.comment, nowMs },
    "recurred",
  );
  db.prepare("UPDATE findings SET raised_ms = ? WHERE id = ?").run(nowMs, id);
}

/** A bulk change inside the caller's transaction. */
export function bulkTriage(
  db: Database.Database,
  target: BulkTarget,
  change: StatusChange,
  max: number,
): BulkTriageOutcome {
  let rows: { id: string; status: TriageStatus }[];
  let notFound: string[] = [];
  if ("ids" in target) {
    rows = [];
    for (const slice of chunks([...new Set(target.ids)], IN_LIST)) {
      rows.push(
        ...(db
          .prepare(`SELECT id, triage_status AS status FROM findings WHERE id IN (${slice.map(() => "?").join(", ")})`)
          .all(...slice) as { id: string; status: TriageStatus }[]),
      );
    }
    const found = new Set(rows.map((r) => r.id));
    notFound = target.ids.filter((id) => !found.has(id));
  } else {
    const filter = whereClause(target.query, SQLITE);
    rows = db
      .prepare(
        `SELECT id, triage_status AS status FROM findings ${filter.where ? `WHERE ${filter.where}` : ""} LIMIT ?`,
      )
      .all(...filter.params, max + 1) as { id: string; status: TriageStatus }[];
  }
  if (rows.length > max) return { ok: false, code: "TOO_MANY", message: tooManyMessage(rows.length, max) };
  const plan = planBulkTriage(rows, change.to);
  for (const [from, ids] of plan.moves) writeStatus(db, ids, from, change);
  return { ok: true, changed: plan.changed, unchanged: plan.unchanged, notAllowed: plan.notAllowed, notFound };
}
