// An issuer's public signing keys, from its JWKS document ({"keys": [JWK, ...]}), as
// Kubernetes serves it at /openid/v1/jwks and EKS at https://oidc.eks.REGION.amazonaws.com/id/ID/keys.
// Keys this verifier cannot use (encryption keys, other curves) are skipped and named; a
// document with no usable key at all is refused, so a bad reload never empties the set.
import type { JsonWebKey } from "node:crypto";

import { keyFromJwk, type JwtAlgorithm, type VerificationKey } from "./jwt";
import { errorMessage } from "../../util/errorMessage";

export class KeySet {
  private constructor(
    readonly keys: VerificationKey[],
    /** Why each skipped key was skipped. */
    readonly skipped: string[],
  ) {}

  /** Throws an Error naming `source` when the text is not a JWKS with a usable key. */
  static parse(text: string, source: string): KeySet {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new Error(`${source}: not JSON (${errorMessage(error)})`);
    }
    const list = (doc as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new Error(`${source}: not a JWKS document (no "keys" array)`);
    const keys: VerificationKey[] = [];
    const skipped: string[] = [];
    for (const jwk of list) {
      const key = jwk && typeof jwk === "object" ? keyFromJwk(jwk as JsonWebKey) : "a key is not a JSON object";
      if (typeof key === "string") skipped.push(key);
      else keys.push(key);
    }
    if (keys.length === 0) {
      throw new Error(`${source}: no RSA or EC P-256 signing key${skipped.length ? ` (${skipped.join("; ")})` : ""}`);
    }
    return new KeySet(keys, skipped);
  }

  /** The key a token names; a token without kid only when one key of its algorithm exists. */
  find(kid: string | undefined, alg: JwtAlgorithm): VerificationKey | undefined {
    const candidates = this.keys.filter((k) => k.alg === alg);
    if (kid === undefined) return candidates.length === 1 ? candidates[0] : undefined;
    return candidates.find((k) => k.kid === kid);
  }

  get kids(): string[] {
    return this.keys.map((k) => k.kid);
  }
}
