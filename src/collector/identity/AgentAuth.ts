// Who an agent is, from what its Report stream presents: the agent certificate (OU=agent,
// mTLS, as before) and, where the collector knows the cluster's issuer, the pod's projected
// ServiceAccount token in "authorization: Bearer". With a token the identity names one
// node of one cluster, and the agent may report only for that node (checkReportedNode).
// Without (no issuer configured) every holder of the agent certificate may report as any
// node: the collector says so at start. With --insecure nothing is checked.
import { status } from "@grpc/grpc-js";

import { AGENT_ROLES, isAuthError, type AuthError, type Authenticator, type CallLike } from "../auth/Authenticator";
import { isTokenRefusal, type AgentTokenVerifier, type TokenRefusalReason } from "./AgentTokenVerifier";
import type { RevocationKey, Revocations } from "./Revocations";

const WHAT = "AgentService.Report";

export interface AgentIdentity {
  /** One caller for per-caller limits (stream caps, the webhook's fair share). */
  key: string;
  /** Who, for logs and the agents' list: the agent pod, or the certificate's CN. */
  name: string;
  /** The node (and cluster) findings and heartbeats must be for; undefined when unbound. */
  bound?: { cluster: string; node: string };
  /** When the credential stops being valid (the token's exp): the stream ends then. */
  expiresMs?: number;
  revocation: RevocationKey[];
}

export type AgentRefusalReason =
  TokenRefusalReason | "certificate" | "no_token" | "keys_unavailable" | "revoked" | "foreign_node" | "foreign_cluster";

export interface AgentRefusal extends AuthError {
  reason: AgentRefusalReason;
}

export interface AgentAuthOptions {
  auth: Authenticator;
  /** Undefined: agents are not bound to nodes. */
  verifier?: AgentTokenVerifier;
  /** Whether the issuer's keys were ever loaded (a JWKS URL may not have answered yet). */
  keysLoaded?: () => boolean;
  revocations: () => Revocations;
  /** Every refusal, by reason (metrics). */
  onRefused?: (reason: AgentRefusalReason) => void;
}

export class AgentAuth {
  constructor(private readonly o: AgentAuthOptions) {}

  get bindsNodes(): boolean {
    return this.o.verifier !== undefined;
  }

  async identify(call: CallLike): Promise<AgentIdentity | AgentRefusal> {
    const caller = this.o.auth.checkCertificate(call, AGENT_ROLES, WHAT);
    if (isAuthError(caller)) return this.count({ ...caller, reason: "certificate" });
    const peerHost = call.getPeer().replace(/:\d+$/, "");
    if (caller.via === "insecure" || !this.o.verifier) {
      // Unbound: one shared certificate (or none) for every agent, so the peer tells callers apart.
      return { key: `${caller.key}@${peerHost}`, name: caller.name, revocation: caller.revocation };
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(String(call.metadata.get("authorization")[0] ?? ""));
    if (!match) {
      return this.refuse(
        "no_token",
        status.UNAUTHENTICATED,
        "no agent token: this collector binds agents to nodes; give the agent --collector-token-file (its pod's projected ServiceAccount token)",
      );
    }
    const token = await this.o.verifier.verify(match[1]);
    if (isTokenRefusal(token)) {
      if (token.reason === "unknown_key" && this.o.keysLoaded && !this.o.keysLoaded()) {
        return this.refuse(
          "keys_unavailable",
          status.UNAVAILABLE,
          "the collector has not loaded its issuer's keys yet",
        );
      }
      return this.refuse(token.reason, status.UNAUTHENTICATED, `agent token refused: ${token.details}`);
    }
    const namespace = this.o.verifier.policy.namespace;
    const identity: AgentIdentity = {
      key: `node:${token.cluster}/${token.node}`,
      name: `${namespace}/${token.pod}`,
      bound: { cluster: token.cluster, node: token.node },
      expiresMs: token.expiresMs,
      revocation: [
        ...caller.revocation,
        { kind: "node", value: token.node },
        { kind: "pod-uid", value: token.podUid },
        { kind: "token-id", value: token.tokenId },
      ],
    };
    const revoked = this.o.revocations().find(identity.revocation);
    if (revoked) return this.refuse("revoked", status.PERMISSION_DENIED, `${revoked.kind} ${revoked.value} is revoked`);
    return identity;
  }

  /** A finding or heartbeat (`what()` says which) for another node than the identity's: refused (and counted). */
  checkReportedNode(
    identity: AgentIdentity,
    cluster: string,
    node: string,
    what: () => string,
  ): AgentRefusal | undefined {
    const bound = identity.bound;
    if (!bound || (node === bound.node && cluster === bound.cluster)) return undefined;
    if (node !== bound.node) {
      return this.refuse(
        "foreign_node",
        status.PERMISSION_DENIED,
        `${what()} is for node ${node}, but the agent's token names node ${bound.node}`,
      );
    }
    if (cluster !== bound.cluster) {
      return this.refuse(
        "foreign_cluster",
        status.PERMISSION_DENIED,
        `${what()} is for cluster "${cluster}", but the agent's token is from cluster "${bound.cluster}" (set the agent's --cluster-name)`,
      );
    }
    return undefined;
  }

  private refuse(reason: AgentRefusalReason, code: status, details: string): AgentRefusal {
    this.o.auth.refused(WHAT, { code, details });
    return this.count({ reason, code, details });
  }

  private count(refusal: AgentRefusal): AgentRefusal {
    this.o.onRefused?.(refusal.reason);
    return refusal;
  }
}

export function isAgentRefusal(value: AgentIdentity | AgentRefusal): value is AgentRefusal {
  return "reason" in value;
}
