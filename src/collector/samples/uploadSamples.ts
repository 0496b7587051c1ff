// AgentService.UploadSamples: an agent's captured samples, each stored once per SHA-256.
// The caller is identified as for Report (certificate, and token where agents are bound to
// nodes). Messages are handled in order, one at a time (SampleReceiver); a protocol error
// ends the stream with INVALID_ARGUMENT and stores nothing of that sample, a store failure
// with UNAVAILABLE (the agent offers it again later).
import * as grpc from "@grpc/grpc-js";

import { MalformedMessage } from "../../api/apiProto";
import type { SampleUpload, SampleUploadResponse } from "../../api/sampleTypes";
import type { Logger } from "../../log/logger";
import { errorMessage } from "../../util/errorMessage";
import type { AgentAuth, AgentIdentity } from "../identity/AgentAuth";
import { serveIdentified } from "../identity/serveIdentified";
import type { SampleStore } from "../store/SampleStore";
import { SampleProtocolError, SampleReceiver, type SampleLimits } from "./SampleReceiver";

export interface UploadSamplesDeps {
  samples: SampleStore;
  agents: AgentAuth;
  limits: SampleLimits;
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
  const fail = (code: grpc.status, details: string): void => {
    if (failed) return;
    failed = true;
    receiver.close();
    deps.logger.warn({ ...log, code, details }, "sample upload ended with an error");
    call.emit("error", { code, details });
  };
  call.once("close", () => receiver.close());
  call.once("cancelled", () => receiver.close());
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
      receiver.close();
      if (!failed) call.end();
    });
  });
}
