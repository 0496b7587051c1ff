// The review operations on many findings at once, behind FindingService and the page's JSON
// API alike: bulk triage (by ids, or every finding matching a filter that the reviewer had
// seen) and groups. Validation here, once; failures as gRPC status codes.
import * as grpc from "@grpc/grpc-js";

import type { TriageStatus } from "../api/convert";
import type { Logger } from "../log/logger";
import { changeProblem, type ReviewFailure } from "./reviewOps";
import type { BulkTarget, FindingQuery, FindingStore, GroupBy, GroupPage } from "./store/FindingStore";
import { BadPageToken } from "./store/query";

/** Ids one request may name. */
export const MAX_BULK_IDS = 1000;
/** Findings one request may change (a filter matching more is refused: narrow it). */
export const MAX_BULK_FINDINGS = 50_000;
export const MAX_GROUP_PAGE = 500;
export const DEFAULT_GROUP_PAGE = 50;

export interface BulkTriageRequest {
  ids: string[];
  /** With a query: only findings raised at or before seenBeforeMs. */
  query?: FindingQuery;
  seenBeforeMs?: number;
  status: TriageStatus | undefined;
  comment: string;
}

export interface BulkTriageResult {
  changed: number;
  unchanged: number;
  notAllowed: number;
  notFound: string[];
}

function invalid(details: string): ReviewFailure {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

export async function bulkTriage(
  deps: { store: FindingStore; logger: Logger },
  caller: { name: string },
  req: BulkTriageRequest,
  via: "grpc" | "web",
): Promise<BulkTriageResult | ReviewFailure> {
  const problem = changeProblem(req.status, req.comment);
  if (problem || !req.status) return invalid(problem);
  let target: BulkTarget;
  if (req.ids.length > 0) {
    if (req.query) return invalid("give ids or a filter, not both");
    if (req.ids.length > MAX_BULK_IDS) return invalid(`at most ${MAX_BULK_IDS} ids at once (or use a filter)`);
    if (req.ids.some((id) => !id || id.length > 64)) return invalid("every id is 1 to 64 characters");
    target = { ids: req.ids };
  } else {
    if (!req.query) return invalid("give the findings' ids or a filter");
    if (req.seenBeforeMs === undefined)
      return invalid("seen_before is required with a filter: findings raised after it were not seen, and stay");
    target = { query: { ...req.query, raisedBeforeMs: req.seenBeforeMs } };
  }
  const change = { to: req.status, actor: caller.name, comment: req.comment, nowMs: Date.now() };
  const outcome = await deps.store.updateTriageMany(target, change, MAX_BULK_FINDINGS);
  if (!outcome.ok) return { code: grpc.status.FAILED_PRECONDITION, details: outcome.message };
  deps.logger.info(
    {
      status: req.status,
      actor: caller.name,
      via,
      by: "ids" in target ? "ids" : "filter",
      changed: outcome.changed,
      unchanged: outcome.unchanged,
      notAllowed: outcome.notAllowed,
    },
    "findings triaged in bulk",
  );
  return {
    changed: outcome.changed,
    unchanged: outcome.unchanged,
    notAllowed: outcome.notAllowed,
    notFound: outcome.notFound,
  };
}

export async function listGroups(
  store: FindingStore,
  query: FindingQuery,
  by: GroupBy | undefined,
  pageSize: number,
  pageToken: string,
): Promise<GroupPage | ReviewFailure> {
  if (!by) return invalid("group by sha256, workload or image");
  if (pageSize > MAX_GROUP_PAGE) return invalid(`page_size must be at most ${MAX_GROUP_PAGE}`);
  try {
    return await store.groups(query, by, pageSize || DEFAULT_GROUP_PAGE, pageToken);
  } catch (error) {
    if (error instanceof BadPageToken) return invalid(error.message);
    throw error;
  }
}
