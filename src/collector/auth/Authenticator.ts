// Who is calling, and may they? Agents present a client certificate signed by the
// collector's CA with OU=agent; reviewers a bearer token from the --tokens file or a
// certificate with OU=reader|triager|admin. TLS (Node) has verified the certificate chain
// and validity already: grpc-js exposes a peer certificate only when the handshake
// authorized it, so an expired or foreign certificate looks like no certificate here.
import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";

import { TokenFile } from "./TokenFile";

/** What every kind of server call has. */
export type CallLike = Pick<grpc.ServerUnaryCall<unknown, unknown>, "metadata" | "getAuthContext">;

export type Role = "agent" | "reader" | "triager" | "admin";
export const ROLES: readonly Role[] = ["agent", "reader", "triager", "admin"];

export interface Caller {
  /** Certificate CN or token name: recorded as the actor of triage changes. */
  name: string;
  role: Role;
  via: "certificate" | "token" | "insecure";
}

export interface AuthError {
  code: grpc.status;
  details: string;
}

export class Authenticator {
  constructor(
    private readonly options: {
      tokens?: TokenFile;
      insecure?: boolean;
      /** Every refusal (metrics): what was called and the answer. */
      onRefused?: (what: string, error: AuthError) => void;
    },
  ) {}

  /** The caller if it holds one of `allowed`, else the error to answer with. */
  check(call: CallLike, allowed: readonly Role[], what: string): Caller | AuthError {
    const caller = this.identify(call);
    const result: Caller | AuthError =
      "code" in caller || allowed.includes(caller.role)
        ? caller
        : {
            code: status.PERMISSION_DENIED,
            details: `${caller.name} (role ${caller.role}) may not call ${what}; it needs role ${allowed.join(" or ")}`,
          };
    if ("code" in result) this.options.onRefused?.(what, result);
    return result;
  }

  private identify(call: CallLike): Caller | AuthError {
    if (this.options.insecure) return { name: "insecure", role: "admin", via: "insecure" };
    const header = call.metadata.get("authorization")[0];
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(String(header));
      const entry = match && this.options.tokens?.lookup(match[1]);
      if (!entry)
        return { code: status.UNAUTHENTICATED, details: "the bearer token is not in the collector's --tokens file" };
      return { name: entry.name, role: entry.role, via: "token" };
    }
    const cert = call.getAuthContext().sslPeerCertificate;
    if (!cert) {
      return {
        code: status.UNAUTHENTICATED,
        details:
          "no valid client certificate (missing, expired, or not signed by the collector's CA) and no bearer token",
      };
    }
    const ou = ([] as string[]).concat(cert.subject?.OU ?? []);
    const role = ROLES.find((r) => ou.includes(r));
    const name = String(([] as string[]).concat(cert.subject?.CN ?? "")[0] ?? "");
    if (!role) {
      return {
        code: status.PERMISSION_DENIED,
        details: `certificate ${name} has no role (OU must be one of ${ROLES.join(", ")})`,
      };
    }
    return { name, role, via: "certificate" };
  }
}

export function isAuthError(value: Caller | AuthError): value is AuthError {
  return "code" in value;
}

/** Reviewers' roles per FindingService method. */
export const READ_ROLES: readonly Role[] = ["reader", "triager", "admin"];
export const TRIAGE_ROLES: readonly Role[] = ["triager", "admin"];
export const AGENT_ROLES: readonly Role[] = ["agent"];
