// Every AgentService stream starts the same way: identify the caller (certificate, and token
// where agents are bound to nodes), refuse with the refusal's code, and only then serve.
// Until identified no data listener is attached: the stream stays paused, nothing is read.
import * as grpc from "@grpc/grpc-js";

import type { Logger } from "../../log/logger";
import { isAgentRefusal, type AgentAuth, type AgentIdentity } from "./AgentAuth";

type AgentCall = grpc.ServerDuplexStream<unknown, unknown>;

export function serveIdentified<C extends AgentCall>(
  call: C,
  agents: AgentAuth,
  logger: Logger,
  refusedMessage: string,
  serve: (call: C, identity: AgentIdentity) => void,
): void {
  call.on("error", () => undefined); // a cancelled call; nothing to answer
  agents.identify(call).then(
    (identity) => {
      if (isAgentRefusal(identity)) {
        const { reason, code, details } = identity;
        logger.warn({ peer: call.getPeer(), reason, code, details }, refusedMessage);
        call.emit("error", { code, details });
        return;
      }
      if (!call.cancelled) serve(call, identity);
    },
    (error: unknown) => {
      logger.error({ peer: call.getPeer(), err: error }, "agent identification failed");
      call.emit("error", {
        code: grpc.status.UNAVAILABLE,
        details: "the collector could not check the agent's identity",
      });
    },
  );
}
