// A cluster's ServiceAccount token issuer for tests: signing keys made here (RSA, as EKS
// signs, and EC P-256), their JWKS in a file the collector reads, and tokens shaped as the
// kubelet gets them for an agent pod (projected, audience driftguard-collector, naming the
// pod's node as Kubernetes 1.30+ does). Also the forgeries tests need: expired, wrong
// audience or issuer, altered after signing, alg "none", HMAC with the public key.
import { createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const TEST_ISSUER = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";

interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface TokenOptions {
  /** Claims merged over the defaults; a claim set to undefined is removed. */
  claims?: Record<string, unknown>;
  /** Header fields merged over the defaults. */
  header?: Record<string, unknown>;
  /** Sign with this key of the issuer's (default: the newest RSA key). */
  kid?: string;
  /** Seconds from now. Default 3600. */
  expiresIn?: number;
}

export class TestIssuer {
  readonly dir: string;
  readonly jwksFile: string;
  private keys: SigningKey[] = [];

  constructor(readonly issuer = TEST_ISSUER) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-issuer-"));
    this.jwksFile = path.join(this.dir, "jwks.json");
    this.addKey("RS256");
    this.addKey("ES256");
  }

  /** A new signing key, published in the JWKS file beside the others; returns its kid. */
  addKey(alg: "RS256" | "ES256" = "RS256"): string {
    const pair =
      alg === "RS256"
        ? generateKeyPairSync("rsa", { modulusLength: 2048 })
        : generateKeyPairSync("ec", { namedCurve: "P-256" });
    const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    this.keys.push({ kid, alg, ...pair });
    this.publish();
    return kid;
  }

  /** Only these keys stay published (an issuer retiring its old key). */
  keepOnly(kids: string[]): void {
    this.keys = this.keys.filter((k) => kids.includes(k.kid));
    this.publish();
  }

  get kids(): string[] {
    return this.keys.map((k) => k.kid);
  }

  /** The JWKS document, as the issuer serves it. */
  jwks(): string {
    return JSON.stringify({
      keys: this.keys.map((k) => ({ ...k.publicKey.export({ format: "jwk" }), kid: k.kid, use: "sig", alg: k.alg })),
    });
  }

  /** A token for the agent pod on `node`, signed (RS256 unless `kid` names an ES256 key). */
  token(node: string, o: TokenOptions = {}): string {
    const key = o.kid
      ? this.keys.find((k) => k.kid === o.kid)!
      : [...this.keys].reverse().find((k) => k.alg === "RS256")!;
    const header = { alg: key.alg, kid: key.kid, ...o.header };
    const signingInput = `${part(header)}.${part(this.claims(node, o))}`;
    const signature =
      key.alg === "ES256"
        ? sign("sha256", Buffer.from(signingInput), { key: key.privateKey, dsaEncoding: "ieee-p1363" })
        : sign("sha256", Buffer.from(signingInput), key.privateKey);
    return `${signingInput}.${signature.toString("base64url")}`;
  }

  /** An unsigned token (alg "none"), as an attacker would send one. */
  unsignedToken(node: string): string {
    return `${part({ alg: "none", typ: "JWT" })}.${part(this.claims(node, {}))}.`;
  }

  /** HS256 with the issuer's public key as the HMAC secret: the algorithm-confusion forgery. */
  hmacForgery(node: string): string {
    const key = this.keys.find((k) => k.alg === "RS256")!;
    const signingInput = `${part({ alg: "HS256", kid: key.kid })}.${part(this.claims(node, {}))}`;
    const secret = key.publicKey.export({ format: "pem", type: "spki" });
    return `${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`;
  }

  /** Writes a token into a file (the agent's --collector-token-file), atomically as the kubelet does. */
  writeToken(file: string, token: string): void {
    const next = `${file}.next`;
    fs.writeFileSync(next, token);
    fs.renameSync(next, file);
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private claims(node: string, o: TokenOptions): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      aud: ["driftguard-collector"],
      exp: now + (o.expiresIn ?? 3600),
      iat: now,
      nbf: now,
      iss: this.issuer,
      jti: randomUUID(),
      "kubernetes.io": {
        namespace: "driftguard",
        node: { name: node, uid: `uid-${node}` },
        pod: { name: `driftguard-agent-${node}`, uid: `pod-uid-${node}` },
        serviceaccount: { name: "driftguard-agent", uid: "sa-uid" },
        warnafter: now + 3000,
      },
      sub: "system:serviceaccount:driftguard:driftguard-agent",
      ...o.claims,
    };
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
    return claims;
  }

  private publish(): void {
    fs.writeFileSync(this.jwksFile, this.jwks());
  }
}

function part(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
