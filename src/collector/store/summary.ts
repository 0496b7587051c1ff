// SQL of the overview, shared by both stores: findings first seen in a time range, counted
// per (bucket, verdict, reason), and the most frequent images and namespaces. Each query is
// a range of the findings_recent index (first_seen_ms) plus a GROUP BY of what it finds.
import type { DriftReason } from "../../domain/driftReason";
import type { Verdict } from "../../domain/verdict";
import type { FindingSummary, SummaryQuery } from "./FindingStore";

export interface SummarySql {
  buckets: { sql: string; params: number[] };
  top: (column: "image" | "k8s_namespace") => { sql: string; params: number[] };
}

/** `placeholder(n)` renders the n-th parameter, as in query.ts. */
export function summarySql(q: SummaryQuery, placeholder: (n: number) => string): SummarySql {
  const p = placeholder;
  return {
    buckets: {
      // Integer division in both databases: BIGINT columns and a CAST of the quotient.
      sql: `SELECT CAST((first_seen_ms - ${p(1)}) / ${p(2)} AS BIGINT) AS bucket, verdict, reason, COUNT(*) AS n
            FROM findings WHERE first_seen_ms >= ${p(3)} AND first_seen_ms < ${p(4)}
            GROUP BY bucket, verdict, reason ORDER BY bucket`,
      params: [q.sinceMs, q.bucketMs, q.sinceMs, q.untilMs],
    },
    top: (column) => ({
      sql: `SELECT ${column} AS value, COUNT(*) AS n FROM findings
            WHERE first_seen_ms >= ${p(1)} AND first_seen_ms < ${p(2)}
            GROUP BY ${column} ORDER BY n DESC, value LIMIT ${p(3)}`,
      params: [q.sinceMs, q.untilMs, q.top],
    }),
  };
}

type Row = Record<string, unknown>;

export function toSummary(q: SummaryQuery, buckets: Row[], images: Row[], namespaces: Row[]): FindingSummary {
  const top = (rows: Row[]) => rows.map((r) => ({ value: String(r.value), findings: Number(r.n) }));
  return {
    buckets: buckets.map((r) => ({
      startMs: q.sinceMs + Number(r.bucket) * q.bucketMs,
      verdict: r.verdict as Verdict,
      reason: r.reason as DriftReason,
      findings: Number(r.n),
    })),
    topImages: top(images),
    topNamespaces: top(namespaces),
  };
}
