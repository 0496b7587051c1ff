// driftguard.v1.FindingService: the security team's review API. Every handler checks the
// caller's role first, validates its request (INVALID_ARGUMENT with what is wrong), and
// answers store failures with UNAVAILABLE; every error path returns.
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage, serviceDefinition } from "../api/apiProto";
import { triageFromName } from "../api/convert";
import type {
  GetFindingRequest,
  GetFindingResponse,
  ListFindingsRequest,
  ListFindingsResponse,
  UpdateTriageRequest,
  UpdateTriageResponse,
  WatchFindingsRequest,
  WatchFindingsResponse,
} from "../api/types";
import type { Logger } from "../log/logger";
import { READ_ROLES, TRIAGE_ROLES, isAuthError, type Authenticator, type Role } from "./auth/Authenticator";
import { apiFromEvent, apiFromStored, queryFromFilter } from "./records";
import type { FindingStore } from "./store/FindingStore";
import { BadPageToken } from "./store/query";
import { watchFindings } from "./watchFindings";

export interface FindingServiceDeps {
  store: FindingStore;
  auth: Authenticator;
  logger: Logger;
  /** How often watchers look for new findings. Default 500 ms. */
  watchPollMs?: number;
}

type Unary<Req, Res> = grpc.ServerUnaryCall<Req | MalformedMessage, Res>;
type Callback<Res> = grpc.sendUnaryData<Res>;

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export function addFindingService(server: grpc.Server, deps: FindingServiceDeps): void {
  server.addService(serviceDefinition("FindingService"), {
    ListFindings: unary<ListFindingsRequest, ListFindingsResponse>(deps, READ_ROLES, "ListFindings", async (req) => {
      const query = queryFromFilter(req.filter);
      if (typeof query === "string") return invalid(query);
      if (req.pageSize > MAX_PAGE) return invalid(`page_size must be at most ${MAX_PAGE}`);
      const page = await deps.store.list(query, req.pageSize || DEFAULT_PAGE, req.pageToken);
      return { findings: page.findings.map(apiFromStored), nextPageToken: page.nextPageToken };
    }),
    GetFinding: unary<GetFindingRequest, GetFindingResponse>(deps, READ_ROLES, "GetFinding", async (req) => {
      if (!req.id || req.id.length > 64) return invalid("id is required (at most 64 characters)");
      const found = await deps.store.get(req.id);
      if (!found) return { code: grpc.status.NOT_FOUND, details: `no finding ${req.id}` };
      return { finding: apiFromStored(found.finding), triageHistory: found.history.map(apiFromEvent) };
    }),
    UpdateTriage: unary<UpdateTriageRequest, UpdateTriageResponse>(
      deps,
      TRIAGE_ROLES,
      "UpdateTriage",
      async (req, caller) => {
        const to = triageFromName(req.status);
        if (!req.id || req.id.length > 64) return invalid("id is required (at most 64 characters)");
        if (!to) return invalid("status must be acknowledged, resolved or false_positive (or new)");
        if (req.comment.length > 4096) return invalid("comment must be at most 4096 characters");
        const outcome = await deps.store.updateTriage(req.id, to, caller.name, req.comment, Date.now());
        if (!outcome.ok) {
          const code = outcome.code === "NOT_FOUND" ? grpc.status.NOT_FOUND : grpc.status.FAILED_PRECONDITION;
          return { code, details: outcome.message };
        }
        deps.logger.info({ id: req.id, status: to, actor: caller.name }, "finding triaged");
        return { finding: apiFromStored(outcome.finding) };
      },
    ),
    WatchFindings: (
      call: grpc.ServerWritableStream<WatchFindingsRequest | MalformedMessage, WatchFindingsResponse>,
    ) => {
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
      watchFindings(call, query, deps.store, deps.watchPollMs ?? 500, deps.logger);
    },
  });
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
        if (error instanceof BadPageToken) {
          callback({ code: grpc.status.INVALID_ARGUMENT, details: error.message });
          return;
        }
        deps.logger.error({ method, err: error }, "store failed");
        callback({
          code: grpc.status.UNAVAILABLE,
          details: `the collector's store failed: ${(error as Error).message}`,
        });
      },
    );
  };
}
