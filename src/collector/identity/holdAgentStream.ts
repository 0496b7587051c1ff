// An identified agent's stream holds its place only while its identity stands: every
// AgentService stream (Report, UploadSamples) is counted against its caller's cap (the
// oldest is replaced), ended when the caller is revoked (CallerStreams.endRevoked), and
// ended when the token it was identified with expires (the agent reconnects with its
// current one). Without this, a revoked agent's stream kept sending.
import * as grpc from "@grpc/grpc-js";

import type { CallerStreams } from "../limits/CallerStreams";
import type { AgentIdentity } from "./AgentAuth";

/**
 * Registers the stream; `end` is called at most as often as the caller ends it (revoked,
 * replaced, token expired). Returns the release to call once the stream closed, or
 * undefined when the caller is at its cap (refuse the stream with `streams.refusal`).
 */
export function holdAgentStream(
  identity: AgentIdentity,
  streams: CallerStreams,
  end: (code: grpc.status, details: string) => void,
): (() => void) | undefined {
  const release = streams.open(identity.key, { revocation: identity.revocation, end });
  if (!release) return undefined;
  let expiry: NodeJS.Timeout | undefined;
  if (identity.expiresMs !== undefined) {
    expiry = setTimeout(
      () => end(grpc.status.UNAUTHENTICATED, "the agent's token expired; reconnect with the current one"),
      Math.max(0, identity.expiresMs - Date.now()),
    );
    expiry.unref();
  }
  return () => {
    clearTimeout(expiry);
    release();
  };
}
