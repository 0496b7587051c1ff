// The findings table's query string as a FindingQuery, sort and page; checked here once.
import { TRIAGE_STATUSES, type TriageStatus } from "../../api/convert";
import { DRIFT_REASONS, reasonsMatching } from "../../domain/driftReason";
import { VERDICTS, type Verdict } from "../../domain/verdict";
import { WORKLOAD_KINDS, type WorkloadKind } from "../../domain/workload";
import type { FindingQuery, FindingSort } from "../store/FindingStore";
import { DEFAULT_SORT, FINDING_SORTS } from "../store/query";

export interface TableRequest {
  query: FindingQuery;
  sort: FindingSort;
  pageSize: number;
  pageToken: string;
}

const TEXT_FILTERS: [string, keyof FindingQuery][] = [
  ["cluster", "cluster"],
  ["namespace", "namespace"],
  ["pod", "podPrefix"], // a reviewer types the start of a pod's name (payments-api of payments-api-7d9f-x2x1z)
  ["container", "container"],
  ["image", "image"],
  ["node", "node"],
  ["path", "pathPrefix"],
  ["sha256", "sha256"],
  ["workloadName", "workloadName"],
];

/** Thrown inside tableRequest for a parameter that is wrong; its message is the answer. */
class BadParameter extends Error {}

function oneOf<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const value = params.get(name);
  if (!value) return undefined;
  if (!allowed.includes(value as T)) throw new BadParameter(`${name} must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** The request, or a message saying which parameter is wrong. */
export function tableRequest(params: URLSearchParams): TableRequest | string {
  try {
    const query: FindingQuery = {
      ...reasonFilter(params),
      verdict: oneOf<Verdict>(params, "verdict", VERDICTS),
      triageStatus: oneOf<TriageStatus>(params, "status", TRIAGE_STATUSES),
      sinceMs: time(params, "since"),
      untilMs: time(params, "until"),
      minCount: integer(params, "minCount", 1, Number.MAX_SAFE_INTEGER),
      workloadKind: oneOf<WorkloadKind>(params, "workloadKind", WORKLOAD_KINDS),
    };
    for (const [param, field] of TEXT_FILTERS) {
      const value = params.get(param)?.trim();
      if (!value) continue;
      if (value.length > 1024) throw new BadParameter(`${param} is longer than 1024 characters`);
      (query as Record<string, unknown>)[field] = value;
    }
    return {
      query,
      sort: oneOf<FindingSort>(params, "sort", FINDING_SORTS) ?? DEFAULT_SORT,
      pageSize: integer(params, "pageSize", 1, 1000) ?? 50,
      pageToken: params.get("pageToken") ?? "",
    };
  } catch (error) {
    if (error instanceof BadParameter) return error.message;
    throw error;
  }
}

/** reason: one reason, or a glob of them (posture_*). */
function reasonFilter(params: URLSearchParams): Pick<FindingQuery, "reason" | "reasons"> {
  const value = params.get("reason");
  if (!value) return {};
  const reasons = reasonsMatching(value);
  if (reasons.length === 0)
    throw new BadParameter(`reason must be one of ${DRIFT_REASONS.join(", ")}, or a glob of them`);
  return /[*?]/.test(value) ? { reasons } : { reason: reasons[0] };
}

function time(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (!value) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new BadParameter(`${name} must be an ISO time or milliseconds since the epoch`);
  return ms;
}

function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = params.get(name);
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new BadParameter(`${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}
