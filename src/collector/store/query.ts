// SQL for the review queries, shared by both stores: a WHERE clause from a FindingQuery and
// keyset pagination on (sort column, id), which stays fast at any depth: the page after a
// key is a range of an index that starts with the sort column (migration 2 adds them).
import type { FindingQuery, FindingSort, GroupBy } from "./FindingStore";

/** The columns a group's key is made of (groups.ts groups by them; a group's findings match them). */
export const GROUP_KEYS: Record<GroupBy, readonly string[]> = {
  sha256: ["sha256"],
  workload: ["k8s_namespace", "workload_kind", "workload_name"],
  image: ["image"],
};

export interface SqlPart {
  /** Conditions joined by AND, without the WHERE keyword; "" for none. */
  where: string;
  params: (string | number)[];
}

/** How a database spells what the shared SQL needs. */
export interface Dialect {
  /** The n-th parameter (1-based): "?" for SQLite, "$n" for PostgreSQL. */
  placeholder: (n: number) => string;
  /**
   * A text column compared in code point order, so that a prefix is a range: SQLite's
   * default BINARY collation already is; PostgreSQL's database collation may not be, "C" is.
   */
  binary: (column: string) => string;
}

export const SQLITE: Dialect = { placeholder: () => "?", binary: (column) => column };
export const POSTGRES: Dialect = { placeholder: (n) => `$${n}`, binary: (column) => `(${column} COLLATE "C")` };

/**
 * The smallest string greater than every string starting with `prefix` (its last code point
 * plus one), or undefined when there is none (only U+10FFFF): then the lower bound alone.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    let next = points.pop()!.codePointAt(0)! + 1;
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000; // no surrogates in UTF-8 text
    if (next <= 0x10ffff) return points.join("") + String.fromCodePoint(next);
  }
  return undefined;
}

/** The WHERE conditions of a query (joined by AND, without WHERE) and their parameters. */
export function whereClause(q: FindingQuery, dialect: Dialect): SqlPart {
  const conditions: [string, string | number | undefined][] = [
    ["last_seen_ms >= ", q.sinceMs],
    ["first_seen_ms < ", q.untilMs],
    ["raised_ms <= ", q.raisedBeforeMs],
    ["cluster = ", q.cluster],
    ["k8s_namespace = ", q.namespace],
    ["pod = ", q.pod],
    ["k8s_container = ", q.container],
    ["image = ", q.image],
    ["node = ", q.node],
    ["reason = ", q.reason],
    ["verdict = ", q.verdict],
    ["triage_status = ", q.triageStatus],
    ["sha256 = ", q.sha256],
    ["workload_kind = ", q.workloadKind],
    ["workload_name = ", q.workloadName],
    ["count >= ", q.minCount],
  ];
  for (const [column, prefix] of [
    ["path", q.pathPrefix],
    ["pod", q.podPrefix],
    ["image", q.imagePrefix],
  ] as const) {
    if (!prefix) continue;
    // A range, which an index on the column serves (a substr() comparison is never indexed).
    conditions.push([`${dialect.binary(column)} >= `, prefix]);
    const end = prefixEnd(prefix);
    if (end !== undefined) conditions.push([`${dialect.binary(column)} < `, end]);
  }
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [sql, value] of conditions) {
    if (value === undefined || value === "") continue;
    params.push(value);
    parts.push(sql + dialect.placeholder(params.length));
  }
  if (q.group) {
    // Empty values are part of a key (findings without a hash, workload or image).
    GROUP_KEYS[q.group.by].forEach((column, i) => {
      params.push(q.group!.key[i] ?? "");
      parts.push(`${column} = ${dialect.placeholder(params.length)}`);
    });
  }
  if (q.reasons) {
    // Any of them (a glob the caller expanded); an empty list matches nothing.
    const marks = q.reasons.map((reason) => (params.push(reason), dialect.placeholder(params.length)));
    parts.push(marks.length > 0 ? `reason IN (${marks.join(", ")})` : "1 = 0");
  }
  return { where: parts.join(" AND "), params };
}

/** "WHERE a AND b" of the non-empty parts, or "". */
export function joinWhere(...parts: string[]): string {
  const present = parts.filter(Boolean);
  return present.length ? "WHERE " + present.join(" AND ") : "";
}

export const DEFAULT_SORT: FindingSort = "first_seen_desc";

const SORTS: Record<FindingSort, { column: string; field: "firstSeenMs" | "lastSeenMs" | "count"; desc: boolean }> = {
  first_seen_desc: { column: "first_seen_ms", field: "firstSeenMs", desc: true },
  first_seen_asc: { column: "first_seen_ms", field: "firstSeenMs", desc: false },
  last_seen_desc: { column: "last_seen_ms", field: "lastSeenMs", desc: true },
  last_seen_asc: { column: "last_seen_ms", field: "lastSeenMs", desc: false },
  count_desc: { column: "count", field: "count", desc: true },
  count_asc: { column: "count", field: "count", desc: false },
};
export const FINDING_SORTS = Object.keys(SORTS) as FindingSort[];

/** "ORDER BY <column> DESC, id DESC" for a sort. */
export function orderBy(sort: FindingSort): string {
  const { column, desc } = SORTS[sort];
  const dir = desc ? "DESC" : "ASC";
  return `ORDER BY ${column} ${dir}, id ${dir}`;
}

export interface PageKey {
  /** The sort column's value of the last row of the page. */
  value: number;
  id: string;
  sort: FindingSort;
}

/** The key of the row a page ended with. */
export function keyOf(row: { id: string; firstSeenMs: number; lastSeenMs: number; count: number }, sort: FindingSort) {
  return { value: row[SORTS[sort].field], id: row.id, sort };
}

/** Tokens of the default sort keep the two-element form older collectors issued. */
export function encodePageToken(key: PageKey): string {
  const body = key.sort === DEFAULT_SORT ? [key.value, key.id] : [key.value, key.id, key.sort];
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** The key of a page token, or undefined when it is not one of ours. */
export function decodePageToken(token: string): PageKey | undefined {
  try {
    const [value, id, sort = DEFAULT_SORT] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (typeof value !== "number" || typeof id !== "string" || !(FINDING_SORTS as unknown[]).includes(sort)) {
      return undefined;
    }
    return { value, id, sort: sort as FindingSort };
  } catch {
    return undefined;
  }
}

/** A page token that does not decode is the caller's error. */
export class BadPageToken extends Error {}

/**
 * The keyset condition for the page after `token`, placeholders n, n+1, n+2. Written as a
 * range on the sort column plus a tie-break, so that both databases seek into the index
 * instead of scanning it from the start (the plain OR form defeats SQLite's range scan).
 */
export function afterKey(token: string, sort: FindingSort, placeholder: (n: number) => string, n: number): SqlPart {
  if (!token) return { where: "", params: [] };
  const key = decodePageToken(token);
  if (!key) throw new BadPageToken("page_token is not valid");
  if (key.sort !== sort) throw new BadPageToken(`page_token belongs to sort order ${key.sort}, not ${sort}`);
  const { column, desc } = SORTS[sort];
  const [le, lt] = desc ? ["<=", "<"] : [">=", ">"];
  return {
    where: `${column} ${le} ${placeholder(n)} AND (${column} ${lt} ${placeholder(n + 1)} OR id ${lt} ${placeholder(n + 2)})`,
    params: [key.value, key.value, key.id],
  };
}
