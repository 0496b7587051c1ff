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

export function isFailure(value: object): value is ReviewFailure {
  return "code" in value && "details" in value;
}

function invalid(details: string): ReviewFailure {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

export async function listFindings(
  store: FindingStore,
  query: FindingQuery,
  pageSize: number,
  pageToken: string,
  sort: FindingSort = DEFAULT_SORT,
  bound: PageBound = { maxBytes: MAX_PAGE_BYTES },
): Promise<Page | ReviewFailure> {
  if (pageSize > MAX_PAGE) return invalid(`page_size must be at most ${MAX_PAGE}`);
  try {
    return await readBoundedPage(store, query, pageSize || DEFAULT_PAGE, pageToken, sort, bound);
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

/** UpdateTriage: the actor is always the authenticated caller. */
export async function updateTriage(
  deps: { store: FindingStore; logger: Logger },
  caller: { name: string },
  req: TriageRequest,
  via: "grpc" | "web",
): Promise<StoredFinding | ReviewFailure> {
  if (!req.id || req.id.length > 64) return invalid("id is required (at most 64 characters)");
  if (!req.status) return invalid("status must be acknowledged, resolved or false_positive (or new)");
  if (req.comment.length > MAX_COMMENT) return invalid(`comment must be at most ${MAX_COMMENT} characters`);
  const outcome = await deps.store.updateTriage(req.id, req.status, caller.name, req.comment, Date.now());
  if (!outcome.ok) {
    const code = outcome.code === "NOT_FOUND" ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION;
    return { code, details: outcome.message };
  }
  deps.logger.info({ id: req.id, status: req.status, actor: caller.name, via }, "finding triaged");
  return outcome.finding;
}
