// Certificates for collector tests, made once per process in a temp dir: the collector's
// CA with server, agent, reviewer, role-less and expired certificates, and a second,
// unrelated CA with an agent certificate the collector must refuse.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { ensureCa, issueCertificate, type CertFiles } from "../../src/collector/certs";

export interface TestCerts {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  agent: CertFiles;
  triager: CertFiles;
  reader: CertFiles;
  noRole: CertFiles;
  expiredAgent: CertFiles;
  /** Signed by another CA. */
  foreignAgent: CertFiles;
}

let made: TestCerts | undefined;

export function testCerts(): TestCerts {
  if (made) return made;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-certs-"));
  process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const ca = ensureCa(dir);
  const client = (name: string, commonName: string, organizationalUnit?: string) =>
    issueCertificate(ca, dir, { name, commonName, organizationalUnit, usage: "client" });
  const foreignDir = path.join(dir, "foreign");
  const foreignCa = ensureCa(foreignDir, "someone else's CA");
  made = {
    dir,
    ca,
    server: issueCertificate(ca, dir, {
      name: "server",
      commonName: "localhost",
      usage: "server",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
    }),
    agent: client("agent", "node-a", "agent"),
    triager: client("triager", "alice", "triager"),
    reader: client("reader", "bob", "reader"),
    noRole: client("norole", "mallory"),
    expiredAgent: issueCertificate(ca, dir, {
      name: "expired",
      commonName: "node-old",
      organizationalUnit: "agent",
      usage: "client",
      notBefore: new Date(Date.now() - 30 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    }),
    foreignAgent: issueCertificate(foreignCa, foreignDir, {
      name: "agent",
      commonName: "node-x",
      organizationalUnit: "agent",
      usage: "client",
    }),
  };
  return made;
}

/** A tokens file with a reader, a triager and an admin; returns its path and the tokens. */
export function testTokens(dir: string): { file: string; reader: string; triager: string; admin: string } {
  const tokens = {
    reader: "reader-token-0123456789",
    triager: "triager-token-0123456789",
    admin: "admin-token-0123456789",
  };
  const file = path.join(dir, "tokens");
  fs.writeFileSync(
    file,
    `# role name token\nreader ci-bot ${tokens.reader}\ntriager alice ${tokens.triager}\nadmin root ${tokens.admin}\n`,
    { mode: 0o600 },
  );
  return { file, ...tokens };
}
