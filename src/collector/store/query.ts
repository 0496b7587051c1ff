// SQL for the review queries, shared by both stores: a WHERE clause from a FindingQuery and
// keyset pagination on (first_seen_ms DESC, id DESC), which stays fast at any depth.
import type { FindingQuery } from "./FindingStore";

export interface SqlPart {
  /** Conditions joined by AND, without the WHERE keyword; "" for none. */
  where: string;
  params: (string | number)[];
}

/** `placeholder(n)` renders the n-th parameter (1-based): "?" for SQLite, "$n" for PostgreSQL. */
export function whereClause(
  q: FindingQuery,
  placeholder: (n: number) => string,
  extra: [string, string | number][] = [],
): SqlPart {
  const conditions: [string, string | number | undefined][] = [
    ["last_seen_ms >= ", q.sinceMs],
    ["first_seen_ms < ", q.untilMs],
    ["cluster = ", q.cluster],
    ["k8s_namespace = ", q.namespace],
    ["pod = ", q.pod],
    ["image = ", q.image],
    ["node = ", q.node],
    ["reason = ", q.reason],
    ["verdict = ", q.verdict],
    ["triage_status = ", q.triageStatus],
    ...extra,
  ];
  const parts: string[] = [];
  const params: (string | number)[] = [];
  for (const [sql, value] of conditions) {
    if (value === undefined || value === "") continue;
    params.push(value);
    parts.push(sql + placeholder(params.length));
  }
  return { where: parts.join(" AND "), params };
}

/** "WHERE a AND b" of the non-empty parts, or "". */
export function joinWhere(...parts: string[]): string {
  const present = parts.filter(Boolean);
  return present.length ? "WHERE " + present.join(" AND ") : "";
}

export interface PageKey {
  firstSeenMs: number;
  id: string;
}

export function encodePageToken(key: PageKey): string {
  return Buffer.from(JSON.stringify([key.firstSeenMs, key.id])).toString("base64url");
}

/** The key of a page token, or undefined when it is not one of ours. */
export function decodePageToken(token: string): PageKey | undefined {
  try {
    const [firstSeenMs, id] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as unknown[];
    if (typeof firstSeenMs !== "number" || typeof id !== "string") return undefined;
    return { firstSeenMs, id };
  } catch {
    return undefined;
  }
}

/** A page token that does not decode is the caller's error. */
export class BadPageToken extends Error {}

/** The keyset condition for the page after `token`, placeholders n and n+1, n+2. */
export function afterKey(token: string, placeholder: (n: number) => string, n: number): SqlPart {
  if (!token) return { where: "", params: [] };
  const key = decodePageToken(token);
  if (!key) throw new BadPageToken("page_token is not valid");
  return {
    where: `(first_seen_ms < ${placeholder(n)} OR (first_seen_ms = ${placeholder(n + 1)} AND id < ${placeholder(n + 2)}))`,
    params: [key.firstSeenMs, key.firstSeenMs, key.id],
  };
}
