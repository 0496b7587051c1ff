// Compact JSON Web Tokens as Kubernetes signs its ServiceAccount tokens (RS256 with the
// API server's RSA key, as on EKS, or ES256), checked with node:crypto alone. A token's
// header names its algorithm, but only RS256 and ES256 are ever tried and only with a key
// of the matching type: "none", HMAC and every other algorithm are refused, so a public
// key can never be used as an HMAC secret (the classic algorithm confusion).
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import { errorMessage } from "../../util/errorMessage";

/** Projected ServiceAccount tokens are ~1 KB; anything this large is not one. */
export const MAX_TOKEN_BYTES = 16 * 1024;
const MIN_RSA_BITS = 2048;

export type JwtAlgorithm = "RS256" | "ES256";
const ALGORITHMS: readonly string[] = ["RS256", "ES256"];

export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
}

export interface ParsedJwt {
  header: JwtHeader;
  /** Not trusted until the signature is verified. */
  claims: Record<string, unknown>;
  /** The bytes the signature covers: "<header>.<payload>" as sent. */
  signedPart: Buffer;
  signature: Buffer;
}

/** A public key of the issuer, usable with exactly one algorithm. */
export interface VerificationKey {
  kid: string;
  alg: JwtAlgorithm;
  key: KeyObject;
}

/** The token's parts, or what is wrong with its shape (never throws). */
export function parseJwt(token: string): ParsedJwt | string {
  if (token.length > MAX_TOKEN_BYTES) return `the token is longer than ${MAX_TOKEN_BYTES} bytes`;
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) {
    return "not a compact JWT (three base64url parts)";
  }
  const header = decodeJson(parts[0]);
  const claims = decodeJson(parts[1]);
  if (!header || typeof header.alg !== "string") return "the JWT header is not a JSON object with alg";
  if (!claims) return "the JWT payload is not a JSON object";
  if (header.kid !== undefined && typeof header.kid !== "string") return "the JWT header's kid is not a string";
  return {
    header: header as unknown as JwtHeader,
    claims,
    signedPart: Buffer.from(`${parts[0]}.${parts[1]}`),
    signature: Buffer.from(parts[2], "base64url"),
  };
}

/** Whether the header names an algorithm this verifier accepts at all. */
export function isAcceptedAlgorithm(alg: string): alg is JwtAlgorithm {
  return ALGORITHMS.includes(alg);
}

/** True when `key` (of the token's own algorithm) signed the token. */
export function verifySignature(jwt: ParsedJwt, key: VerificationKey): boolean {
  if (jwt.header.alg !== key.alg) return false;
  if (key.alg === "ES256") {
    // JWS carries ECDSA signatures as r || s (64 bytes), not DER.
    if (jwt.signature.length !== 64) return false;
    return verify("sha256", jwt.signedPart, { key: key.key, dsaEncoding: "ieee-p1363" }, jwt.signature);
  }
  return verify("sha256", jwt.signedPart, key.key, jwt.signature);
}

/** A JWK as a verification key, or why it cannot be one (an encryption key, another curve...). */
export function keyFromJwk(
  jwk: JsonWebKey & { kid?: unknown; use?: unknown; alg?: unknown },
): VerificationKey | string {
  const kid = typeof jwk.kid === "string" ? jwk.kid : "";
  if (jwk.use !== undefined && jwk.use !== "sig") return `key ${kid}: use is ${String(jwk.use)}, not sig`;
  if (jwk.d !== undefined) return `key ${kid}: a private key; publish only public keys`;
  let alg: JwtAlgorithm;
  if (jwk.kty === "RSA") alg = "RS256";
  else if (jwk.kty === "EC" && jwk.crv === "P-256") alg = "ES256";
  else return `key ${kid}: kty ${String(jwk.kty)}${jwk.crv ? ` ${jwk.crv}` : ""} is not RSA or EC P-256`;
  if (jwk.alg !== undefined && jwk.alg !== alg) return `key ${kid}: alg ${String(jwk.alg)} is not ${alg}`;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: "jwk" });
  } catch (error) {
    return `key ${kid}: ${errorMessage(error)}`;
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (alg === "RS256" && bits < MIN_RSA_BITS) return `key ${kid}: RSA key of ${bits} bits (at least ${MIN_RSA_BITS})`;
  return { kid, alg, key };
}

function decodeJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
