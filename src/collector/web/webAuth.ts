// The review page authenticates exactly as FindingService does, through the same
// Authenticator: "Authorization: Bearer <token>" from the --tokens file, or a reviewer's
// client certificate (mTLS; the TLS server requests one and verified its chain against
// --client-ca). The request is presented to the Authenticator as a gRPC call would be.
import type * as grpc from "@grpc/grpc-js";
import type * as http from "node:http";
import type { TLSSocket } from "node:tls";

import type { AuthError, Authenticator, CallLike, Caller, Role } from "../auth/Authenticator";

export function authenticate(
  auth: Authenticator,
  req: http.IncomingMessage,
  roles: readonly Role[],
  what: string,
): Caller | AuthError {
  const header = req.headers.authorization;
  const socket = req.socket as Partial<TLSSocket>;
  const call: CallLike = {
    metadata: { get: (key: string) => (key === "authorization" && header ? [header] : []) } as grpc.Metadata,
    // Like grpc-js: a certificate only when the handshake verified it.
    getAuthContext: () => ({
      transportSecurityType: socket.encrypted ? "ssl" : undefined,
      sslPeerCertificate: socket.authorized && socket.getPeerCertificate ? socket.getPeerCertificate() : undefined,
    }),
    getPeer: () => `${req.socket.remoteAddress ?? "unknown"}:${req.socket.remotePort ?? 0}`,
  };
  return auth.check(call, roles, `web ${what}`);
}

/**
 * State-changing requests must come from the page itself. A bearer token is never sent by a
 * browser on its own, but a client certificate is: a JSON content type (which forces a CORS
 * preflight we never answer) and a same-origin Origin header keep other sites out.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
