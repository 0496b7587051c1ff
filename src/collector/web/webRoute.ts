// One route of the review page's JSON API (webApi.ts dispatches them) and what routes use.
import type * as http from "node:http";

import type { Logger } from "../../log/logger";
import type { Authenticator, Caller, Role } from "../auth/Authenticator";
import type { PageBound } from "../limits/boundedPage";
import type { CallerStreams } from "../limits/CallerStreams";
import type { ReviewFailure } from "../reviewOps";
import type { FindingStore } from "../store/FindingStore";
import { httpStatusOf, sendError } from "./httpUtil";

export interface WebApiDeps {
  store: FindingStore;
  auth: Authenticator;
  logger: Logger;
  pollMs: number;
  heartbeatMs: number;
  onWatcher?: (change: 1 | -1) => void;
  /** Open live-update streams per reviewer (shared with WatchFindings). */
  watchStreams: CallerStreams;
  /** Pages of findings end early past this many bytes. */
  pageBound: PageBound;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, caller: Caller) => Promise<void>;

export interface Route {
  method: "GET" | "POST";
  pattern: RegExp;
  roles: readonly Role[];
  handle: (deps: WebApiDeps, match: RegExpExecArray) => Handler;
}

export function fail(res: http.ServerResponse, failure: ReviewFailure): void {
  sendError(res, httpStatusOf(failure.code), failure.details);
}
