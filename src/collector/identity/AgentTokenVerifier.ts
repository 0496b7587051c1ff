// Checks an agent's projected ServiceAccount token and says which node it names. The
// kubelet asks the API server for a token bound to the agent's pod, with the audience
// driftguard-collector; since Kubernetes 1.30 such a token also names the pod's node
// (claim kubernetes.io.node.name). Signed by the cluster's OIDC issuer, so the collector
// verifies it offline with the issuer's public keys, and the cluster is the issuer's.
//
// A token is accepted only if every check passes: the algorithm (RS256/ES256), the issuer,
// the key and signature, exp/nbf/iat within SKEW, a lifetime of at most a day (long-lived
// legacy Secret tokens have no exp and are refused), the audience, the ServiceAccount, and
// a node name. Refusals carry a reason for metrics and a detail for the log; never the token.
import type { IssuerKeys } from "./IssuerKeys";
import { isAcceptedAlgorithm, parseJwt, verifySignature } from "./jwt";

export const DEFAULT_AUDIENCE = "driftguard-collector";
const DEFAULT_SKEW_MS = 60_000;
const MAX_LIFETIME_MS = 24 * 3600_000;

export type TokenRefusalReason =
  | "malformed_token"
  | "algorithm"
  | "wrong_issuer"
  | "unknown_key"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "too_long_lived"
  | "wrong_audience"
  | "wrong_service_account"
  | "no_node";

export interface TokenRefusal {
  reason: TokenRefusalReason;
  details: string;
}

export interface TokenPolicy {
  /** The issuer (iss) exactly, e.g. https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE. */
  issuer: string;
  /** The cluster this issuer stands for: agents' findings must carry this name. */
  cluster: string;
  audience: string;
  /** The agents' ServiceAccount. */
  namespace: string;
  serviceAccount: string;
  skewMs?: number;
}

/** Who a valid token says the agent is. */
export interface TokenIdentity {
  cluster: string;
  node: string;
  nodeUid: string;
  pod: string;
  podUid: string;
  /** The token's jti ("" when absent). */
  tokenId: string;
  /** Until when it is accepted: its exp plus the clock skew allowed. */
  expiresMs: number;
}

export class AgentTokenVerifier {
  constructor(
    readonly policy: TokenPolicy,
    private readonly keys: Pick<IssuerKeys, "find">,
  ) {}

  async verify(token: string, nowMs = Date.now()): Promise<TokenIdentity | TokenRefusal> {
    const p = this.policy;
    const refuse = (reason: TokenRefusalReason, details: string): TokenRefusal => ({ reason, details });
    const jwt = parseJwt(token);
    if (typeof jwt === "string") return refuse("malformed_token", jwt);
    const { alg, kid } = jwt.header;
    if (!isAcceptedAlgorithm(alg)) return refuse("algorithm", `algorithm ${alg} is not accepted (RS256 or ES256)`);
    const c = jwt.claims;
    if (c.iss !== p.issuer) return refuse("wrong_issuer", `issuer ${String(c.iss)} is not ${p.issuer}`);
    const key = await this.keys.find(kid, alg);
    if (!key) return refuse("unknown_key", `no ${alg} key ${kid ?? "(no kid)"} among the issuer's keys`);
    if (!verifySignature(jwt, key)) return refuse("bad_signature", `the signature does not verify with key ${key.kid}`);
    const skew = p.skewMs ?? DEFAULT_SKEW_MS;
    const [exp, nbf, iat] = [c.exp, c.nbf, c.iat].map((v) => (typeof v === "number" ? v * 1000 : undefined));
    if (exp === undefined) return refuse("too_long_lived", "the token has no exp (a legacy ServiceAccount token?)");
    if (nowMs > exp + skew) return refuse("expired", `expired at ${new Date(exp).toISOString()}`);
    if ((nbf ?? 0) > nowMs + skew || (iat ?? 0) > nowMs + skew)
      return refuse("not_yet_valid", "nbf or iat in the future");
    if (exp - (iat ?? nbf ?? nowMs) > MAX_LIFETIME_MS + skew) {
      return refuse("too_long_lived", "the token lives longer than a day; project it with expirationSeconds ≤ 86400");
    }
    const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (!audiences.includes(p.audience))
      return refuse("wrong_audience", `audience ${JSON.stringify(c.aud)} lacks ${p.audience}`);
    const k8s = object(c["kubernetes.io"]);
    const sub = `system:serviceaccount:${p.namespace}:${p.serviceAccount}`;
    if (c.sub !== sub || k8s.namespace !== p.namespace || object(k8s.serviceaccount).name !== p.serviceAccount) {
      return refuse("wrong_service_account", `subject ${String(c.sub)} is not ${sub}`);
    }
    const node = object(k8s.node);
    if (typeof node.name !== "string" || node.name === "") {
      return refuse("no_node", "the token names no node (kubernetes.io.node.name needs Kubernetes 1.30 or later)");
    }
    const pod = object(k8s.pod);
    return {
      cluster: p.cluster,
      node: node.name,
      nodeUid: String(node.uid ?? ""),
      pod: String(pod.name ?? ""),
      podUid: String(pod.uid ?? ""),
      tokenId: typeof c.jti === "string" ? c.jti : "",
      expiresMs: exp + skew,
    };
  }
}

export function isTokenRefusal(value: TokenIdentity | TokenRefusal): value is TokenRefusal {
  return "reason" in value;
}

function object(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
}
