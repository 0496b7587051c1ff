// SQL of the groups view, shared by both stores: the findings matching a query, grouped by
// SHA-256, owning workload or image, the largest groups first. Each grouping has an index
// that starts with its key and holds every column the aggregates read (schema.ts, version
// 4), so the groups of the whole table are one scan of that index, never of the table;
// pages are keyset on (findings, key), applied after grouping.
import type { FindingGroupRow, FindingQuery, GroupBy, GroupPage } from "./FindingStore";
import { BadPageToken, GROUP_KEYS, whereClause, type Dialect } from "./query";

const AGGREGATES = `COUNT(*) AS findings, SUM(count) AS execs,
  COUNT(DISTINCT k8s_namespace || '/' || pod) AS pods, COUNT(DISTINCT node) AS nodes,
  COUNT(DISTINCT k8s_namespace) AS namespaces,
  SUM(CASE WHEN triage_status = 'new' THEN 1 ELSE 0 END) AS open,
  SUM(CASE WHEN verdict = 'audited' THEN 1 ELSE 0 END) AS audited,
  MAX(last_seen_ms) AS last_seen`;

/** The statement of one page of groups (pageSize + 1 rows: the extra one says there is more). */
export function groupsSql(
  query: FindingQuery,
  by: GroupBy,
  pageSize: number,
  pageToken: string,
  dialect: Dialect,
): { sql: string; params: (string | number)[] } {
  const keys = GROUP_KEYS[by];
  const filter = whereClause(query, dialect);
  const params = [...filter.params];
  const p = (value: string | number): string => {
    params.push(value);
    return dialect.placeholder(params.length);
  };
  let having = "";
  if (pageToken) {
    const after = decodeGroupToken(pageToken, keys.length);
    // The groups after the last one shown: fewer findings, or as many and a greater key.
    having = `HAVING COUNT(*) < ${p(after.findings)} OR (COUNT(*) = ${p(after.findings)}
      AND (${keys.join(", ")}) > (${after.key.map(p).join(", ")}))`;
  }
  const sql = `SELECT ${keys.join(", ")}, ${AGGREGATES} FROM findings
    ${filter.where ? `WHERE ${filter.where}` : ""} GROUP BY ${keys.join(", ")} ${having}
    ORDER BY findings DESC, ${keys.join(", ")} LIMIT ${p(pageSize + 1)}`;
  return { sql, params };
}

/** Rows of groupsSql as a page. */
export function toGroupPage(rows: Record<string, unknown>[], by: GroupBy, pageSize: number): GroupPage {
  const keys = GROUP_KEYS[by];
  const groups: FindingGroupRow[] = rows.slice(0, pageSize).map((r) => ({
    key: keys.map((k) => String(r[k] ?? "")),
    findings: Number(r.findings),
    execs: Number(r.execs),
    pods: Number(r.pods),
    nodes: Number(r.nodes),
    namespaces: Number(r.namespaces),
    open: Number(r.open),
    audited: Number(r.audited),
    lastSeenMs: Number(r.last_seen),
  }));
  const last = groups[groups.length - 1];
  const nextPageToken =
    rows.length > pageSize && last
      ? Buffer.from(JSON.stringify([last.findings, ...last.key])).toString("base64url")
      : "";
  return { groups, nextPageToken };
}

function decodeGroupToken(token: string, keys: number): { findings: number; key: string[] } {
  try {
    const [findings, ...key] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (typeof findings === "number" && key.length === keys && key.every((k) => typeof k === "string")) {
      return { findings, key: key as string[] };
    }
  } catch {
    // not one of ours
  }
  throw new BadPageToken("page_token is not a token of this grouping");
}
