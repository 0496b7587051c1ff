// AgentService.UploadSamples: an agent's captured samples, each stored once per SHA-256.
// The caller is identified as for Report (certificate, and token where agents are bound to
// nodes), and its streams are held as Report's are (identity/holdAgentStream.ts: capped per
// agent, ended when it is revoked or its token expires). Messages are handled in order, one at a time (SampleReceiver); a protocol error
// ends the stream with INVALID_ARGUMENT and stores nothing of that sample, a store failure
// with UNAVAILABLE (the agent offers it again later).
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage } from "../../api/apiProto";
import type { SampleUpload, SampleUploadResponse } from "../../api/sampleTypes";
import type { Logger } from "../../log/logger";
import { errorMessage } from "../../util/errorMessage";
import type { AgentAuth, AgentIdentity } from "../identity/AgentAuth";
import { holdAgentStream } from "../identity/holdAgentStream";
import { serveIdentified } from "../identity/serveIdentified";
import type { CallerStreams } from "../limits/CallerStreams";
import type { SampleStore } from "../store/SampleStore";
import { SampleProtocolError, SampleReceiver, type SampleLimits } from "./SampleReceiver";

export interface UploadSamplesDeps {
  samples: SampleStore;
  agents: AgentAuth;
  limits: SampleLimits;
  /** Open UploadSamples streams per agent identity: capped, ended on revocation and token expiry. */
  streams: CallerStreams;
  logger: Logger;
  /** Each answer given (SEND, HAVE, STORED, ...), for metrics and tests. */
  onAnswer?: (answer: SampleUploadResponse["answer"]) => void;
}

type UploadCall = grpc.ServerDuplexStream<SampleUpload | MalformedMessage, SampleUploadResponse>;

export function uploadSamplesHandler(deps: UploadSamplesDeps): (call: UploadCall) => void {
  return (call) =>
    serveIdentified(call, deps.agents, deps.logger, "sample upload refused", (c, identity) => serve(c, identity, deps));
}

function serve(call: UploadCall, identity: AgentIdentity, deps: UploadSamplesDeps): void {
  const log = { agent: identity.name, peer: call.getPeer() };
  const receiver = new SampleReceiver(deps.samples, deps.limits);
  let failed = false;
  const closed = (): void => {
    receiver.close();
    release?.();
  };
  const fail = (code: grpc.status, details: string): void => {
    if (failed) return;
    failed = true;
    closed();
    deps.logger.warn({ ...log, code, details }, "sample upload ended with an error");
    call.emit("error", { code, details });
  };
  const release = holdAgentStream(identity, deps.streams, fail);
  if (!release) {
    receiver.close();
    const refusal = deps.streams.refusal(identity.key);
    deps.logger.warn({ ...log, details: refusal.details }, "sample upload refused: too many streams");
    call.emit("error", refusal);
    return;
  }
  call.once("close", closed);
  call.once("cancelled", closed);
  let chain = Promise.resolve();
  call.on("data", (message: SampleUpload | MalformedMessage) => {
    if (failed) return;
    call.pause(); // one message at a time: a peer cannot queue chunks ahead of the checks
    chain = chain
      .then(async () => {
        if (failed) return;
        if (message instanceof MalformedMessage) {
          throw new SampleProtocolError(`malformed SampleUpload: ${message.reason}`);
        }
        const response = await receiver.handle(message);
        if (!response) return;
        deps.onAnswer?.(response.answer);
        if (response.answer === "SAMPLE_ANSWER_STORED")
          deps.logger.info({ ...log, sha256: response.sha256 }, "sample stored");
        call.write(response);
      })
      .catch((error: unknown) => {
        if (error instanceof SampleProtocolError) fail(grpc.status.INVALID_ARGUMENT, error.message);
        else fail(grpc.status.UNAVAILABLE, `the collector's store failed: ${errorMessage(error)}`);
      })
      .finally(() => call.resume());
  });
  call.on("end", () => {
    void chain.then(() => {
      closed();
      if (!failed) call.end();
    });
  });
}
