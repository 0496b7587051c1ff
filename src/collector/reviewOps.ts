// The review operations behind both FindingService (gRPC) and the web page's JSON API: one
// validation and one store call each, failures as gRPC status codes (the web API maps them
// to HTTP). Store failures are thrown; each front end answers them as "unavailable".
import * as grpc from "@grpc/grpc-js";

import type { TriageStatus } from "../api/convert";
import type { Logger } from "../log/logger";
import type {
  FindingQuery,
  FindingSort,
  FindingStore,
  Page,
  StoredFinding,
  TriageEventRecord,
} from "./store/FindingStore";
import { MAX_PAGE_BYTES, readBoundedPage, type PageBound } from "./limits/boundedPage";
import { BadPageToken, DEFAULT_SORT } from "./store/query";
import { allowedTransitions } from "./store/triage";

export interface ReviewFailure {
  code: grpc.status;
  details: string;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
export const MAX_COMMENT = 4096;
/** A list's total is counted up to this many (a count of more would scan more than a page needs). */
export const TOTAL_CAP = 100_000;

export function isFailure(value: object): value is ReviewFailure {
  return "code" in value && "details" in value;
}

function invalid(details: string): ReviewFailure {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

/** A page, and on the first page how many findings match (up to TOTAL_CAP; `atLeast` past it). */
export interface CountedPage extends Page {
  total?: { count: number; atLeast: boolean };
}

export async function listFindings(
  store: FindingStore,
  query: FindingQuery,
  pageSize: number,
  pageToken: string,
  sort: FindingSort = DEFAULT_SORT,
  bound: PageBound = { maxBytes: MAX_PAGE_BYTES },
): Promise<CountedPage | ReviewFailure> {
  if (pageSize > MAX_PAGE) return invalid(`page_size must be at most ${MAX_PAGE}`);
  try {
    const page = await readBoundedPage(store, query, pageSize || DEFAULT_PAGE, pageToken, sort, bound);
    if (pageToken) return page;
    // Counted only when there is more than this page (the page itself says the rest).
    const count = page.nextPageToken ? await store.countMatching(query, TOTAL_CAP) : page.findings.length;
    return { ...page, total: { count: Math.min(count, TOTAL_CAP), atLeast: count > TOTAL_CAP } };
  } catch (error) {
    if (error instanceof BadPageToken) return invalid(error.message);
    throw error;
  }
}

export interface FindingDetail {
  finding: StoredFinding;
  history: TriageEventRecord[];
  /** Statuses the finding may move to next (the page offers only these). */
  next: TriageStatus[];
}

export async function getFinding(store: FindingStore, id: string): Promise<FindingDetail | ReviewFailure> {
  if (!id || id.length > 64) return invalid("id is required (at most 64 characters)");
  const found = await store.get(id);
  if (!found) return { code: grpc.status.NOT_FOUND, details: `no finding ${id}` };
  return { ...found, next: allowedTransitions(found.finding.triageStatus) };
}

export interface TriageRequest {
  id: string;
  /** undefined: the caller sent something that is not a status. */
  status: TriageStatus | undefined;
  comment: string;
}

/** What is wrong with a status change (any front end, one finding or many), or "". */
export function changeProblem(status: TriageStatus | undefined, comment: string): string {
  if (!status) return "status must be acknowledged, resolved or false_positive (or new)";
  if (comment.length > MAX_COMMENT) return `comment must be at most ${MAX_COMMENT} characters`;
  if (status === "false_positive" && !comment.trim())
    return "a false positive needs a comment saying why (it tells the next reviewer, and the policy exception)";
  return "";
}

/** UpdateTriage: the actor is always the authenticated caller. */
export async function updateTriage(
  deps: { store: FindingStore; logger: Logger },
  caller: { name: string },
  req: TriageRequest,
  via: "grpc" | "web",
): Promise<StoredFinding | ReviewFailure> {
  if (!req.id || req.id.length > 64) return invalid("id is required (at most 64 characters)");
  const problem = changeProblem(req.status, req.comment);
  if (problem || !req.status) return invalid(problem);
  const outcome = await deps.store.updateTriage(req.id, req.status, caller.name, req.comment, Date.now());
  if (!outcome.ok) {
    const code = outcome.code === "NOT_FOUND" ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION;
    return { code, details: outcome.message };
  }
  deps.logger.info({ id: req.id, status: req.status, actor: caller.name, via }, "finding triaged");
  return outcome.finding;
}
