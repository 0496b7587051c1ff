// The review page's routes for many findings at once: groups, bulk triage (by ids, or
// every finding matching the filter the reviewer looked at), and "make an exception" for a
// finding or a group. The same operations as FindingService (reviewBulk.ts) and the same
// suggestions as `driftguard policy suggest` (policy/suggestException.ts).
import { triageFromName } from "../../api/convert";
import { findingView, type FindingView } from "../../api/findingView";
import { parseExpiry } from "../../policy/exceptionExpiry";
import { suggestExceptions } from "../../policy/suggestException";
import type { Expiry } from "../../policy/types";
import { READ_ROLES, TRIAGE_ROLES } from "../auth/Authenticator";
import { apiFromStored } from "../records";
import { bulkTriage, listGroups } from "../reviewBulk";
import { getFinding, isFailure, listFindings } from "../reviewOps";
import type { GroupBy } from "../store/FindingStore";
import { BodyError, readJson, sendError, sendJson } from "./httpUtil";
import { sameOrigin } from "./webAuth";
import { fail, type Route } from "./webRoute";
import { tableRequest } from "./webQuery";
import type { BulkTriageBody, BulkTriageResponse, ExceptionResponse, GroupsResponse } from "./webTypes";

const GROUP_BYS: readonly GroupBy[] = ["sha256", "workload", "image"];
/** A group's exception is made from its newest findings, at most this many. */
export const EXCEPTION_FINDINGS = 200;
const MAX_REASON = 1024;

/** The reviewer's reason and, for a break-glass exception, when it expires. */
function exceptionAsked(url: URL): { reason: string; expires?: Expiry } {
  const reason = url.searchParams.get("reason") ?? "";
  if (reason.length > MAX_REASON) throw new BodyError(400, `reason is longer than ${MAX_REASON} characters`);
  const text = url.searchParams.get("expires")?.trim();
  if (!text) return { reason };
  const expires = parseExpiry(text.slice(0, 64));
  if (typeof expires === "string") throw new BodyError(400, `expires ${expires}`);
  return { reason, expires };
}

function exceptionOf(findings: FindingView[], asked: { reason: string; expires?: Expiry }): ExceptionResponse {
  return {
    suggestions: suggestExceptions(findings, asked.reason, undefined, asked.expires),
    findings: findings.length,
  };
}

export const REVIEW_ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/api\/groups$/,
    roles: READ_ROLES,
    handle: (deps) => async (_req, res, url) => {
      const request = tableRequest(url.searchParams);
      if (typeof request === "string") return sendError(res, 400, request);
      const by = url.searchParams.get("by") as GroupBy;
      if (!GROUP_BYS.includes(by)) return sendError(res, 400, `by must be one of ${GROUP_BYS.join(", ")}`);
      const page = await listGroups(deps.store, request.query, by, request.pageSize, request.pageToken);
      if (isFailure(page)) return fail(res, page);
      const body: GroupsResponse = { groups: page.groups, nextPageToken: page.nextPageToken };
      sendJson(res, 200, body);
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/triage$/,
    roles: TRIAGE_ROLES,
    handle: (deps) => async (req, res, _url, caller) => {
      if (!sameOrigin(req)) return sendError(res, 403, "triage is only accepted from the review page itself");
      const body = (await readJson(req)) as Partial<BulkTriageBody>;
      const ids = Array.isArray(body.ids) ? body.ids.filter((id): id is string => typeof id === "string") : [];
      let query;
      if (typeof body.filter === "string") {
        const request = tableRequest(new URLSearchParams(body.filter));
        if (typeof request === "string") return sendError(res, 400, request);
        query = request.query;
      }
      const status =
        typeof body.status === "string" ? triageFromName(`TRIAGE_STATUS_${body.status.toUpperCase()}`) : undefined;
      const outcome = await bulkTriage(
        deps,
        caller,
        {
          ids,
          query,
          seenBeforeMs: typeof body.seenBeforeMs === "number" ? body.seenBeforeMs : undefined,
          status,
          comment: typeof body.comment === "string" ? body.comment : "",
        },
        "web",
      );
      if (isFailure(outcome)) return fail(res, outcome);
      const answer: BulkTriageResponse = outcome;
      sendJson(res, 200, answer);
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/findings\/([^/]+)\/exception$/,
    roles: READ_ROLES,
    handle: (deps, match) => async (_req, res, url) => {
      const asked = exceptionAsked(url);
      const found = await getFinding(deps.store, decodeURIComponent(match[1]));
      if (isFailure(found)) return fail(res, found);
      sendJson(res, 200, exceptionOf([findingView(apiFromStored(found.finding))], asked));
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/exception$/,
    roles: READ_ROLES,
    handle: (deps) => async (_req, res, url) => {
      const asked = exceptionAsked(url);
      const request = tableRequest(url.searchParams);
      if (typeof request === "string") return sendError(res, 400, request);
      if (Object.values(request.query).every((v) => v === undefined))
        return sendError(res, 400, "an exception is made for a group: give a filter (sha256, image, workload...)");
      const page = await listFindings(deps.store, request.query, EXCEPTION_FINDINGS, "", "first_seen_desc");
      if (isFailure(page)) return fail(res, page);
      if (page.findings.length === 0) return sendError(res, 404, "no finding matches this filter");
      sendJson(
        res,
        200,
        exceptionOf(
          page.findings.map((f) => findingView(apiFromStored(f))),
          asked,
        ),
      );
    },
  },
];
