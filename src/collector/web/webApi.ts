// The review page's JSON API under /api/. Every route authenticates like FindingService
// (webAuth.ts) and calls the same review operations (reviewOps.ts): one store query per
// list or detail, triage through UpdateTriage's code path, history kept.
import type * as http from "node:http";

import { triageFromName } from "../../api/convert";
import { eventView, findingView } from "../../api/findingView";
import { READ_ROLES, TRIAGE_ROLES, isAuthError, type Caller } from "../auth/Authenticator";
import { apiFromEvent, apiFromStored } from "../records";
import { getFinding, isFailure, listFindings, updateTriage, type FindingDetail } from "../reviewOps";
import { BodyError, httpStatusOf, readJson, sendError, sendJson } from "./httpUtil";
import { REVIEW_ROUTES } from "./reviewRoutes";
import { SAMPLE_ROUTES, sampleView } from "./sampleRoute";
import { fail, type Route, type WebApiDeps } from "./webRoute";
import { serveLiveEvents } from "./liveEvents";
import { overview } from "./overview";
import { authenticate, sameOrigin } from "./webAuth";
import { tableRequest } from "./webQuery";
import type { FindingDetailResponse, FindingsResponse, SessionResponse } from "./webTypes";
import { errorMessage } from "../../util/errorMessage";

export type { WebApiDeps };

const ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/api\/session$/,
    roles: READ_ROLES,
    handle: () => async (_req, res, _url, caller) => {
      const session: SessionResponse = {
        name: caller.name,
        role: caller.role,
        via: caller.via,
        canTriage: TRIAGE_ROLES.includes(caller.role),
      };
      sendJson(res, 200, session);
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/findings$/,
    roles: READ_ROLES,
    handle: (deps) => async (_req, res, url) => {
      const request = tableRequest(url.searchParams);
      if (typeof request === "string") return sendError(res, 400, request);
      const asOfMs = Date.now(); // before the read: a bulk triage "as seen" never takes what came after
      const page = await listFindings(
        deps.store,
        request.query,
        request.pageSize,
        request.pageToken,
        request.sort,
        deps.pageBound,
      );
      if (isFailure(page)) return fail(res, page);
      const body: FindingsResponse = {
        findings: page.findings.map((f) => findingView(apiFromStored(f))),
        nextPageToken: page.nextPageToken,
        total: page.total,
        asOfMs,
      };
      sendJson(res, 200, body);
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/findings\/([^/]+)$/,
    roles: READ_ROLES,
    handle: (deps, match) => async (_req, res, _url, caller) => {
      const found = await getFinding(deps.store, decodeURIComponent(match[1]));
      if (isFailure(found)) return fail(res, found);
      sendJson(res, 200, await detailResponse(deps, found, caller));
    },
  },
  {
    method: "POST",
    pattern: /^\/api\/findings\/([^/]+)\/triage$/,
    roles: TRIAGE_ROLES,
    handle: (deps, match) => async (req, res, _url, caller) => {
      if (!sameOrigin(req)) return sendError(res, 403, "triage is only accepted from the review page itself");
      const body = (await readJson(req)) as { status?: unknown; comment?: unknown };
      const status =
        typeof body.status === "string" ? triageFromName(`TRIAGE_STATUS_${body.status.toUpperCase()}`) : undefined;
      const comment = typeof body.comment === "string" ? body.comment : "";
      const id = decodeURIComponent(match[1]);
      const updated = await updateTriage(deps, caller, { id, status, comment }, "web");
      if (isFailure(updated)) return fail(res, updated);
      const detail = await getFinding(deps.store, id);
      if (isFailure(detail)) return fail(res, detail);
      sendJson(res, 200, await detailResponse(deps, detail, caller));
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/overview$/,
    roles: READ_ROLES,
    handle: (deps) => async (_req, res, url) => {
      const result = await overview(deps.store, url.searchParams.get("range") ?? "24h", deps.heartbeatMs);
      if (typeof result === "string") return sendError(res, 400, result);
      sendJson(res, 200, result);
    },
  },
  {
    method: "GET",
    pattern: /^\/api\/events$/,
    roles: READ_ROLES,
    handle: (deps) => async (req, res, url, caller) => {
      const request = tableRequest(url.searchParams);
      if (typeof request === "string") return sendError(res, 400, request);
      const release = deps.watchStreams.open(caller.key, {
        revocation: caller.revocation,
        stillValid: caller.stillValid,
        end: () => res.destroy(),
      });
      if (!release) return sendError(res, 429, deps.watchStreams.refusal(caller.key).details);
      req.once("close", release);
      serveLiveEvents(req, res, request.query, deps);
    },
  },
];

async function detailResponse(deps: WebApiDeps, detail: FindingDetail, caller: Caller): Promise<FindingDetailResponse> {
  return {
    finding: findingView(apiFromStored(detail.finding)),
    history: detail.history.map((e) => eventView(apiFromEvent(e))),
    next: detail.next,
    sample: await sampleView(deps, detail.finding, caller),
  };
}

/** Answers a request under /api/. */
export async function handleApi(
  deps: WebApiDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const paths = [...ROUTES, ...REVIEW_ROUTES, ...SAMPLE_ROUTES].filter((r) => r.pattern.test(url.pathname));
  const route = paths.find((r) => r.method === req.method);
  if (!route) {
    if (paths.length > 0) return sendError(res, 405, `use ${paths.map((r) => r.method).join(" or ")}`);
    return sendError(res, 404, `no API at ${url.pathname}`);
  }
  const caller = authenticate(deps.auth, req, route.roles, `${route.method} ${url.pathname}`);
  if (isAuthError(caller)) return sendError(res, httpStatusOf(caller.code), caller.details);
  try {
    await route.handle(deps, route.pattern.exec(url.pathname)!)(req, res, url, caller);
  } catch (error) {
    if (error instanceof BodyError) return sendError(res, error.status, error.message);
    deps.logger.error({ path: url.pathname, err: error }, "review API failed");
    if (!res.headersSent) sendError(res, 503, `the collector's store failed: ${errorMessage(error)}`);
    else res.end();
  }
}
