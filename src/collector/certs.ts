// A private CA and the certificates of a first install, made with the openssl CLI (Node's
// crypto cannot sign X.509 certificates). EC P-256 keys; `openssl ca` so that validity can
// be given as dates (tests make expired certificates the same way).
//
// The same by hand:
//   openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
//     -out ca.crt -subj "/CN=driftguard CA" -days 3650 \
//     -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
//   openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout agent.key \
//     -out agent.csr -subj "/OU=agent/CN=agents"
//   openssl x509 -req -in agent.csr -CA ca.crt -CAkey ca.key -days 365 -out agent.crt \
//     -extfile <(printf "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature")
// (the server certificate: extendedKeyUsage=serverAuth and subjectAltName=DNS:...,IP:...).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface CertFiles {
  certFile: string;
  keyFile: string;
}

export interface IssueOptions {
  /** Files are <dir>/<name>.crt and <dir>/<name>.key. */
  name: string;
  commonName: string;
  /** The role for client certificates: agent, reader, triager or admin. */
  organizationalUnit?: string;
  usage: "server" | "client";
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
}

const DAY_MS = 86_400_000;

function openssl(args: string[], cwd?: string): void {
  try {
    execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const e = error as { code?: string; stderr?: Buffer; message: string };
    if (e.code === "ENOENT")
      throw new Error("the openssl command is needed to make certificates (apt-get install openssl)");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
}

/** Creates <dir>/ca.crt and ca.key unless ca.crt exists already. */
export function ensureCa(dir: string, commonName = "driftguard CA", days = 3650): CertFiles & { created: boolean } {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, "ca.crt");
  const keyFile = path.join(dir, "ca.key");
  if (fs.existsSync(certFile)) {
    if (!fs.existsSync(keyFile))
      throw new Error(`${certFile} exists without ${keyFile}: cannot issue certificates with it`);
    return { certFile, keyFile, created: false };
  }
  // prettier-ignore
  openssl([
    "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-subj", `/CN=${commonName}`, "-days", String(days),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  fs.chmodSync(keyFile, 0o600);
  return { certFile, keyFile, created: true };
}

/** Issues a certificate signed by the CA in `ca`; writes <dir>/<name>.crt and .key. */
export function issueCertificate(ca: CertFiles, dir: string, o: IssueOptions): CertFiles {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-certs-"));
  try {
    const certFile = path.join(dir, `${o.name}.crt`);
    const keyFile = path.join(dir, `${o.name}.key`);
    const subject = (o.organizationalUnit ? `/OU=${o.organizationalUnit}` : "") + `/CN=${o.commonName}`;
    // prettier-ignore
    openssl([
      "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", keyFile, "-out", path.join(work, "req.csr"), "-subj", subject,
    ]);
    fs.chmodSync(keyFile, 0o600);
    const sans = [...(o.dnsNames ?? []).map((d) => `DNS:${d}`), ...(o.ipAddresses ?? []).map((ip) => `IP:${ip}`)];
    fs.writeFileSync(path.join(work, "index.txt"), "");
    fs.writeFileSync(
      path.join(work, "serial"),
      randomBytes(16)
        .toString("hex")
        .replace(/^[89a-f]/, "1") + "\n",
    );
    fs.writeFileSync(
      path.join(work, "ca.cnf"),
      [
        "[ca]",
        "default_ca = dg",
        "[dg]",
        "database = index.txt",
        "new_certs_dir = .",
        "serial = serial",
        "default_md = sha256",
        "policy = any",
        "unique_subject = no",
        "email_in_dn = no",
        "preserve = yes",
        "[any]",
        "organizationalUnitName = optional",
        "commonName = supplied",
        "[ext]",
        "basicConstraints = critical,CA:FALSE",
        `keyUsage = critical,digitalSignature${o.usage === "server" ? ",keyEncipherment" : ""}`,
        `extendedKeyUsage = ${o.usage === "server" ? "serverAuth" : "clientAuth"}`,
        ...(sans.length ? [`subjectAltName = ${sans.join(",")}`] : []),
        "subjectKeyIdentifier = hash",
        "authorityKeyIdentifier = keyid",
        "",
      ].join("\n"),
    );
    const notBefore = o.notBefore ?? new Date(Date.now() - 3600_000); // an hour back: clock skew
    const notAfter = o.notAfter ?? new Date(Date.now() + 365 * DAY_MS);
    // prettier-ignore
    openssl(
      [
        "ca", "-batch", "-config", "ca.cnf", "-extensions", "ext", "-notext",
        "-cert", path.resolve(ca.certFile), "-keyfile", path.resolve(ca.keyFile),
        "-in", "req.csr", "-out", path.resolve(certFile),
        "-startdate", asn1Time(notBefore), "-enddate", asn1Time(notAfter),
      ],
      work,
    );
    return { certFile, keyFile };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate` takes it. */
function asn1Time(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
