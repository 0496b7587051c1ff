// Who is calling, and may they? Agents present a client certificate signed by the
// collector's CA with OU=agent (and, where agent tokens are configured, their pod's token:
// identity/AgentAuth.ts); reviewers a bearer token from the --tokens file or a certificate
// with OU=reader|triager|admin. TLS (Node) has verified the certificate chain and validity
// already: grpc-js exposes a peer certificate only when the handshake authorized it, so an
// expired or foreign certificate looks like no certificate here. A certificate on the
// revocation list is refused as if it were absent.
import type * as grpc from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";

import type { RevocationKey, Revocations } from "../identity/Revocations";
import type { TokenFile } from "./TokenFile";

/** What every kind of server call has. */
export type CallLike = Pick<grpc.ServerUnaryCall<unknown, unknown>, "metadata" | "getAuthContext" | "getPeer">;

export type Role = "agent" | "reader" | "triager" | "admin";
export const ROLES: readonly Role[] = ["agent", "reader", "triager", "admin"];

export interface Caller {
  /** Certificate CN or token name: recorded as the actor of triage changes. */
  name: string;
  role: Role;
  via: "certificate" | "token" | "insecure";
  /** One caller for per-caller limits: the token's or certificate's name, or the peer's address when insecure. */
  key: string;
  /** What would revoke this caller (its certificate's fingerprint). */
  revocation: RevocationKey[];
  /** A token caller: whether the --tokens file still holds its token (a reload may remove it). */
  stillValid?: () => boolean;
}

export interface AuthError {
  code: grpc.status;
  details: string;
}

export interface AuthenticatorOptions {
  tokens?: TokenFile;
  /** No TLS, no authentication: every caller may do everything. */
  insecure?: boolean;
  revocations?: () => Revocations;
  /** Every refusal (metrics): what was called and the answer. */
  onRefused?: (what: string, error: AuthError) => void;
}

export class Authenticator {
  private tokens?: TokenFile;

  constructor(private readonly options: AuthenticatorOptions) {
    this.tokens = options.tokens;
  }

  /** A reloaded --tokens file: from now on, removed tokens are refused and new ones accepted. */
  setTokens(tokens: TokenFile): void {
    this.tokens = tokens;
  }

  /** The caller if it holds one of `allowed`, else the error to answer with. */
  check(call: CallLike, allowed: readonly Role[], what: string): Caller | AuthError {
    return this.authorize(this.identify(call), allowed, what);
  }

  /** Like check(), from the client certificate alone (agents' bearer header carries their token). */
  checkCertificate(call: CallLike, allowed: readonly Role[], what: string): Caller | AuthError {
    return this.authorize(this.options.insecure ? insecureCaller(call) : this.fromCertificate(call), allowed, what);
  }

  /** Counts a refusal decided elsewhere (agent identity) like this class's own. */
  refused(what: string, error: AuthError): AuthError {
    this.options.onRefused?.(what, error);
    return error;
  }

  private authorize(caller: Caller | AuthError, allowed: readonly Role[], what: string): Caller | AuthError {
    if (isAuthError(caller)) return this.refused(what, caller);
    if (caller.via === "insecure" || allowed.includes(caller.role)) return caller;
    return this.refused(what, {
      code: status.PERMISSION_DENIED,
      details: `${caller.name} (role ${caller.role}) may not call ${what}; it needs role ${allowed.join(" or ")}`,
    });
  }

  private identify(call: CallLike): Caller | AuthError {
    if (this.options.insecure) return insecureCaller(call);
    const header = call.metadata.get("authorization")[0];
    if (header === undefined) return this.fromCertificate(call);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(String(header));
    const entry = match && this.tokens?.lookup(match[1]);
    if (!entry)
      return { code: status.UNAUTHENTICATED, details: "the bearer token is not in the collector's --tokens file" };
    const token = match[1];
    const stillValid = (): boolean => this.tokens?.lookup(token)?.name === entry.name;
    return { name: entry.name, role: entry.role, via: "token", key: `token:${entry.name}`, revocation: [], stillValid };
  }

  private fromCertificate(call: CallLike): Caller | AuthError {
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
    const revocation: RevocationKey[] = [{ kind: "certificate", value: cert.fingerprint256 ?? "" }];
    if (this.options.revocations?.().find(revocation)) {
      return { code: status.UNAUTHENTICATED, details: `certificate ${name} is revoked` };
    }
    if (!role) {
      return {
        code: status.PERMISSION_DENIED,
        details: `certificate ${name} has no role (OU must be one of ${ROLES.join(", ")})`,
      };
    }
    return { name, role, via: "certificate", key: `certificate:${name}`, revocation };
  }
}

function insecureCaller(call: CallLike): Caller {
  // No identity to tell callers apart: per-caller limits apply per peer address.
  const peer = call.getPeer().replace(/:\d+$/, "");
  return { name: "insecure", role: "admin", via: "insecure", key: `insecure:${peer}`, revocation: [] };
}

export function isAuthError(value: Caller | AuthError): value is AuthError {
  return "code" in value;
}

/** Reviewers' roles per FindingService method. */
export const READ_ROLES: readonly Role[] = ["reader", "triager", "admin"];
export const TRIAGE_ROLES: readonly Role[] = ["triager", "admin"];
export const AGENT_ROLES: readonly Role[] = ["agent"];
/** Captured samples (the files themselves, possibly malware) are for admins only. */
export const ADMIN_ROLES: readonly Role[] = ["admin"];
