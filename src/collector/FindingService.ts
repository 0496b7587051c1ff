// driftguard.v1.FindingService: the security team's review API. Every handler checks the
// caller's role first, validates its request (INVALID_ARGUMENT with what is wrong), and
// answers store failures with UNAVAILABLE; every error path returns.
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage, serviceDefinition } from "../api/apiProto";
import { triageFromName } from "../api/convert";
import { fromTimestamp } from "../api/convert";
import type {
  GetFindingRequest,
  GetFindingResponse,
  ListFindingsRequest,
  ListFindingsResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  UpdateTriageBulkRequest,
  UpdateTriageBulkResponse,
  UpdateTriageRequest,
  UpdateTriageResponse,
  WatchFindingsRequest,
  WatchFindingsResponse,
} from "../api/types";
import type { ListAgentsRequest, ListAgentsResponse } from "../api/agentTypes";
import type { Logger } from "../log/logger";
import {
  READ_ROLES,
  TRIAGE_ROLES,
  isAuthError,
  type Authenticator,
  type Caller,
  type Role,
} from "./auth/Authenticator";
import type { PageBound } from "./limits/boundedPage";
import type { CallerStreams } from "./limits/CallerStreams";
import type { UnackedBytes } from "./limits/UnackedBytes";
import { apiFromEvent, apiFromGroup, apiFromStored, groupByFromName, queryFromFilter } from "./records";
import { listAgents } from "./agentSummaries";
import { bulkTriage, listGroups } from "./reviewBulk";
import { getFinding, isFailure, listFindings, updateTriage } from "./reviewOps";
import type { FindingQuery, FindingStore } from "./store/FindingStore";
import { getSampleHandler } from "./samples/sampleDownload";
import { DEFAULT_SORT } from "./store/query";
import { watchFindings } from "./watchFindings";
import { errorMessage } from "../util/errorMessage";

export interface FindingServiceDeps {
  store: FindingStore;
  auth: Authenticator;
  logger: Logger;
  /** How often watchers look for new findings. Default 500 ms. */
  watchPollMs?: number;
  /** WatchFindings streams opened (+1) and ended (-1), for metrics. */
  onWatcher?: (change: 1 | -1) => void;
  /** Open watches per reviewer (shared with the review page's live updates). */
  watchStreams: CallerStreams;
  /** Each reviewer's budget of watch bytes its readers have not taken yet. */
  unacked: UnackedBytes;
  /** ListFindings pages end early past this many bytes. */
  pageBound: PageBound;
  /** The agents' heartbeat interval: longer without one, an agent is silent. */
  heartbeatMs: number;
  /** A watch waited for its slow reader (metrics). */
  onWatchWait?: () => void;
}

type WatchCall = grpc.ServerWritableStream<WatchFindingsRequest | MalformedMessage, WatchFindingsResponse>;

type Unary<Req, Res> = grpc.ServerUnaryCall<Req | MalformedMessage, Res>;
type Callback<Res> = grpc.sendUnaryData<Res>;

export function addFindingService(server: grpc.Server, deps: FindingServiceDeps): void {
  server.addService(serviceDefinition("FindingService"), {
    ListFindings: unary<ListFindingsRequest, ListFindingsResponse>(deps, READ_ROLES, "ListFindings", async (req) => {
      const query = queryFromFilter(req.filter);
      if (typeof query === "string") return invalid(query);
      const page = await listFindings(deps.store, query, req.pageSize, req.pageToken, DEFAULT_SORT, deps.pageBound);
      if (isFailure(page)) return page;
      return {
        findings: page.findings.map(apiFromStored),
        nextPageToken: page.nextPageToken,
        totalSize: page.total?.count ?? 0,
        totalIsLowerBound: page.total?.atLeast ?? false,
      };
    }),
    GetFinding: unary<GetFindingRequest, GetFindingResponse>(deps, READ_ROLES, "GetFinding", async (req) => {
      const found = await getFinding(deps.store, req.id);
      if (isFailure(found)) return found;
      return { finding: apiFromStored(found.finding), triageHistory: found.history.map(apiFromEvent) };
    }),
    UpdateTriage: unary<UpdateTriageRequest, UpdateTriageResponse>(
      deps,
      TRIAGE_ROLES,
      "UpdateTriage",
      async (req, caller) => {
        const request = { id: req.id, status: triageFromName(req.status), comment: req.comment };
        const updated = await updateTriage(deps, caller, request, "grpc");
        return isFailure(updated) ? updated : { finding: apiFromStored(updated) };
      },
    ),
    UpdateTriageBulk: unary<UpdateTriageBulkRequest, UpdateTriageBulkResponse>(
      deps,
      TRIAGE_ROLES,
      "UpdateTriageBulk",
      async (req, caller) => {
        const query = req.filter ? queryFromFilter(req.filter) : undefined;
        if (typeof query === "string") return invalid(query);
        const request = {
          ids: req.ids,
          query,
          seenBeforeMs: fromTimestamp(req.seenBefore),
          status: triageFromName(req.status),
          comment: req.comment,
        };
        return bulkTriage(deps, caller, request, "grpc");
      },
    ),
    ListGroups: unary<ListGroupsRequest, ListGroupsResponse>(deps, READ_ROLES, "ListGroups", async (req) => {
      const query = queryFromFilter(req.filter);
      if (typeof query === "string") return invalid(query);
      const by = groupByFromName(req.by);
      const page = await listGroups(deps.store, query, by, req.pageSize, req.pageToken);
      if (isFailure(page)) return page;
      return {
        groups: page.groups.map((g) => apiFromGroup(g, by!, req.filter)),
        nextPageToken: page.nextPageToken,
      };
    }),
    GetSample: getSampleHandler(deps),
    ListAgents: unary<ListAgentsRequest, ListAgentsResponse>(deps, READ_ROLES, "ListAgents", () =>
      listAgents(deps.store, deps.heartbeatMs),
    ),
    WatchFindings: (call: WatchCall) => {
      const caller = deps.auth.check(call, READ_ROLES, "FindingService.WatchFindings");
      if (isAuthError(caller)) {
        call.emit("error", caller);
        return;
      }
      if (call.request instanceof MalformedMessage) {
        call.emit("error", {
          code: grpc.status.INVALID_ARGUMENT,
          details: `malformed request: ${call.request.reason}`,
        });
        return;
      }
      const query = queryFromFilter(call.request.filter);
      if (typeof query === "string") {
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: query });
        return;
      }
      serveWatch(call, caller, query, deps);
    },
  });
}

/** A watch within the caller's stream cap and byte budget, until the caller cancels or is revoked. */
function serveWatch(call: WatchCall, caller: Caller, query: FindingQuery, deps: FindingServiceDeps): void {
  let stop = (): void => undefined;
  let open = true;
  const end = (): void => {
    if (!open) return;
    open = false;
    stop();
    release?.();
    deps.onWatcher?.(-1);
  };
  const release = deps.watchStreams.open(caller.key, {
    revocation: caller.revocation,
    stillValid: caller.stillValid,
    end: (code, details) => {
      call.emit("error", { code, details });
      end();
    },
  });
  if (!release) {
    call.emit("error", deps.watchStreams.refusal(caller.key));
    return;
  }
  deps.onWatcher?.(1);
  stop = watchFindings(call, query, deps.store, {
    pollMs: deps.watchPollMs ?? 500,
    logger: deps.logger,
    ledger: deps.unacked.stream(caller.key),
    onWait: deps.onWatchWait,
  });
  call.on("cancelled", end);
  call.on("close", end);
  call.on("error", end);
}

interface Failure {
  code: grpc.status;
  details: string;
}

function invalid(details: string): Failure {
  return { code: grpc.status.INVALID_ARGUMENT, details };
}

/** A unary handler with authorization, decoding and error mapping around `body`. */
function unary<Req, Res extends object>(
  deps: FindingServiceDeps,
  roles: readonly Role[],
  method: string,
  body: (req: Req, caller: { name: string; role: Role }) => Promise<Res | Failure>,
): (call: Unary<Req, Res>, callback: Callback<Res>) => void {
  return (call, callback) => {
    const caller = deps.auth.check(call, roles, `FindingService.${method}`);
    if (isAuthError(caller)) {
      callback(caller);
      return;
    }
    if (call.request instanceof MalformedMessage) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `malformed request: ${call.request.reason}` });
      return;
    }
    body(call.request, caller).then(
      (result) => {
        if ("code" in result && "details" in result) callback(result as Failure);
        else callback(null, result as Res);
      },
      (error: unknown) => {
        deps.logger.error({ method, err: error }, "store failed");
        callback({
          code: grpc.status.UNAVAILABLE,
          details: `the collector's store failed: ${errorMessage(error)}`,
        });
      },
    );
  };
}
