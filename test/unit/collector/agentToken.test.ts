// Agent tokens: what a projected ServiceAccount token from the cluster's issuer is accepted
// as, and every forgery or misuse refused with its reason: expired, not yet valid, too
// long-lived, wrong audience, issuer or ServiceAccount, no node, altered, signed by another
// key, alg "none", HMAC with the public key, an unknown key.
import * as assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";

import {
  AgentTokenVerifier,
  isTokenRefusal,
  type TokenIdentity,
  type TokenRefusal,
} from "../../../src/collector/identity/AgentTokenVerifier";
import type { JwtAlgorithm } from "../../../src/collector/identity/jwt";
import { KeySet } from "../../../src/collector/identity/KeySet";
import { TEST_ISSUER, TestIssuer } from "../../testbed/testIssuer";

const POLICY = {
  issuer: TEST_ISSUER,
  cluster: "prod",
  audience: "driftguard-collector",
  namespace: "driftguard",
  serviceAccount: "driftguard-agent",
};

describe("agent tokens", () => {
  const issuer = new TestIssuer();
  after(() => issuer.remove());
  const keys = () => KeySet.parse(issuer.jwks(), "test");
  const verifier = () =>
    new AgentTokenVerifier(POLICY, {
      find: async (kid: string | undefined, alg: JwtAlgorithm) => keys().find(kid, alg),
    });
  const refusal = async (token: string, nowMs?: number): Promise<TokenRefusal> => {
    const result = await verifier().verify(token, nowMs);
    assert.ok(isTokenRefusal(result), `accepted: ${JSON.stringify(result)}`);
    return result;
  };

  it("accepts the kubelet's token and says which node and cluster it names", async () => {
    const identity = (await verifier().verify(issuer.token("node-a"))) as TokenIdentity;
    assert.equal(isTokenRefusal(identity), false, JSON.stringify(identity));
    assert.equal(identity.node, "node-a");
    assert.equal(identity.cluster, "prod");
    assert.equal(identity.pod, "driftguard-agent-node-a");
    assert.equal(identity.podUid, "pod-uid-node-a");
    assert.ok(identity.expiresMs > Date.now() + 3500_000);
    const es256 = issuer.kids.find((k) => k.startsWith("es256"));
    const ec = (await verifier().verify(issuer.token("node-b", { kid: es256 }))) as TokenIdentity;
    assert.equal(ec.node, "node-b", JSON.stringify(ec));
  });

  it("refuses an expired token, and one not valid yet, beyond a minute of skew", async () => {
    const expired = issuer.token("node-a", { expiresIn: -120 });
    assert.equal((await refusal(expired)).reason, "expired");
    const justExpired = issuer.token("node-a", { expiresIn: -30 });
    assert.equal(isTokenRefusal(await verifier().verify(justExpired)), false, "within the skew");
    const future = issuer.token("node-a", { claims: { nbf: Math.floor(Date.now() / 1000) + 600 } });
    assert.equal((await refusal(future)).reason, "not_yet_valid");
  });

  it("refuses tokens without exp or living longer than a day (legacy Secret tokens)", async () => {
    assert.equal((await refusal(issuer.token("node-a", { claims: { exp: undefined } }))).reason, "too_long_lived");
    assert.equal((await refusal(issuer.token("node-a", { expiresIn: 3 * 86_400 }))).reason, "too_long_lived");
  });

  it("refuses a token for another audience, another issuer or another ServiceAccount", async () => {
    const apiServer = issuer.token("node-a", { claims: { aud: ["https://kubernetes.default.svc"] } });
    assert.equal((await refusal(apiServer)).reason, "wrong_audience");
    const other = issuer.token("node-a", { claims: { iss: "https://oidc.eks.eu-west-1.amazonaws.com/id/OTHER" } });
    assert.equal((await refusal(other)).reason, "wrong_issuer");
    const sub = "system:serviceaccount:shop:default";
    const shop = issuer.token("node-a", {
      claims: {
        sub,
        "kubernetes.io": { namespace: "shop", node: { name: "node-a" }, serviceaccount: { name: "default" } },
      },
    });
    assert.equal((await refusal(shop)).reason, "wrong_service_account");
    const mixed = issuer.token("node-a", {
      claims: {
        "kubernetes.io": { namespace: "shop", node: { name: "node-a" }, serviceaccount: { name: "driftguard-agent" } },
      },
    });
    assert.equal((await refusal(mixed)).reason, "wrong_service_account", "sub and the kubernetes.io claim must agree");
  });

  it("refuses a token that names no node (Kubernetes before 1.30)", async () => {
    const old = issuer.token("node-a", {
      claims: { "kubernetes.io": { namespace: "driftguard", serviceaccount: { name: "driftguard-agent" } } },
    });
    assert.equal((await refusal(old)).reason, "no_node");
  });

  it("refuses a token altered after signing, or signed by a key the issuer does not publish", async () => {
    const [head, payload, signature] = issuer.token("node-a").split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    claims["kubernetes.io"].node.name = "node-b";
    const altered = `${head}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
    assert.equal((await refusal(altered)).reason, "bad_signature");
    const impostor = new TestIssuer();
    try {
      // Same kid as the real key, another private key.
      const kid = issuer.kids.find((k) => k.startsWith("rs256"))!;
      const [, body, sig] = impostor.token("node-a").split(".");
      const forged = `${Buffer.from(JSON.stringify({ alg: "RS256", kid })).toString("base64url")}.${body}.${sig}`;
      assert.equal((await refusal(forged)).reason, "bad_signature");
      assert.equal((await refusal(impostor.token("node-a"))).reason, "unknown_key");
    } finally {
      impostor.remove();
    }
  });

  it('refuses alg "none", HMAC with the public key as secret, and a key of the wrong type', async () => {
    const none = await refusal(issuer.unsignedToken("node-a"));
    assert.equal(none.reason, "algorithm");
    assert.equal((await refusal(issuer.hmacForgery("node-a"))).reason, "algorithm");
    const rsaKid = issuer.kids.find((k) => k.startsWith("rs256"))!;
    const [, body, sig] = issuer.token("node-a").split(".");
    const asEc = `${Buffer.from(JSON.stringify({ alg: "ES256", kid: rsaKid })).toString("base64url")}.${body}.${sig}`;
    assert.equal((await refusal(asEc)).reason, "unknown_key", "an RSA key is never used for ES256");
  });

  it("refuses what is not a JWT at all", async () => {
    for (const junk of ["", "a.b", "a.b.c.d", "***.***.***", "x".repeat(20_000), `${"e30"}.${"bm90IGpzb24"}.`]) {
      assert.equal((await refusal(junk)).reason, "malformed_token", junk.slice(0, 20));
    }
  });

  it("keeps only usable signing keys from a JWKS and refuses one without any", () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    const good = JSON.parse(issuer.jwks()).keys;
    const set = KeySet.parse(
      JSON.stringify({
        keys: [
          ...good,
          { ...weak, kid: "weak" },
          { kty: "oct", k: "c2VjcmV0", kid: "hmac" },
          { ...good[0], kid: "enc", use: "enc" },
        ],
      }),
      "jwks",
    );
    assert.deepEqual(set.kids, issuer.kids);
    assert.equal(set.skipped.length, 3);
    assert.throws(
      () => KeySet.parse(JSON.stringify({ keys: [{ ...weak, kid: "weak" }] }), "f.json"),
      /f\.json: no RSA or EC P-256 signing key/,
    );
    const privateJwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    assert.throws(() => KeySet.parse(JSON.stringify({ keys: [privateJwk] }), "p.json"), /a private key/);
    assert.throws(() => KeySet.parse("{}", "e.json"), /not a JWKS document/);
  });
});
