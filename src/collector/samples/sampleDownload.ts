// Downloading a finding's captured sample: FindingService.GetSample (chunks on a server
// stream) and the page's admin-only route share the lookup. Every download is logged with
// who took it. Admins only: the caller's role is checked before anything is read.
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage } from "../../api/apiProto";
import type { GetSampleRequest, GetSampleResponse } from "../../api/sampleTypes";
import type { Logger } from "../../log/logger";
import { errorMessage } from "../../util/errorMessage";
import { ADMIN_ROLES, isAuthError, type Authenticator } from "../auth/Authenticator";
import { getFinding, isFailure, type ReviewFailure } from "../reviewOps";
import type { FindingStore } from "../store/FindingStore";
import { SAMPLE_CHUNK_BYTES } from "./SampleReceiver";

export interface FoundSample {
  sha256: string;
  content: Buffer;
}

/** The sample of finding id's file, or NOT_FOUND naming why there is none. */
export async function findSample(store: FindingStore, id: string): Promise<FoundSample | ReviewFailure> {
  const found = await getFinding(store, id);
  if (isFailure(found)) return found;
  const { sha256 } = found.finding;
  const content = sha256 ? await store.samples.content(sha256) : undefined;
  if (!content) {
    return { code: grpc.status.NOT_FOUND, details: `no sample of finding ${id} is stored (not captured, or expired)` };
  }
  return { sha256, content };
}

export interface GetSampleDeps {
  store: FindingStore;
  auth: Authenticator;
  logger: Logger;
}

type GetSampleCall = grpc.ServerWritableStream<GetSampleRequest | MalformedMessage, GetSampleResponse>;

export function getSampleHandler(deps: GetSampleDeps): (call: GetSampleCall) => void {
  return (call) => {
    const caller = deps.auth.check(call, ADMIN_ROLES, "FindingService.GetSample");
    if (isAuthError(caller)) {
      call.emit("error", caller);
      return;
    }
    const request = call.request;
    if (request instanceof MalformedMessage) {
      call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: `malformed request: ${request.reason}` });
      return;
    }
    findSample(deps.store, request.id).then(
      (found) => {
        if (isFailure(found)) {
          call.emit("error", found);
          return;
        }
        deps.logger.info({ caller: caller.name, finding: request.id, sha256: found.sha256 }, "sample downloaded");
        void writeChunks(call, found);
      },
      (error: unknown) => {
        deps.logger.error({ method: "GetSample", err: error }, "store failed");
        call.emit("error", {
          code: grpc.status.UNAVAILABLE,
          details: `the collector's store failed: ${errorMessage(error)}`,
        });
      },
    );
  };
}

/** The sample in chunks, waiting for the caller to drain each (a slow reader holds one chunk). */
async function writeChunks(call: GetSampleCall, { sha256, content }: FoundSample): Promise<void> {
  const size = content.length;
  for (let offset = 0; offset < size && !call.cancelled; offset += SAMPLE_CHUNK_BYTES) {
    const data = content.subarray(offset, offset + SAMPLE_CHUNK_BYTES);
    const message = offset === 0 ? { sha256, size, data } : { sha256: "", size: 0, data };
    if (!call.write(message)) await new Promise<void>((resolve) => call.once("drain", resolve));
  }
  call.end();
}
