// `driftguard certs`: a CA and the certificates of a first install (openssl CLI).
import * as path from "node:path";

import { ensureCa, issueCertificate } from "../collector/certs";
import { UsageError, type Command } from "./command";
import { parseFlags, positiveInt, type FlagSpec } from "./flags";

const FLAGS: FlagSpec[] = [
  { name: "out" },
  { name: "server-names", default: "localhost" },
  { name: "server-ips", default: "127.0.0.1" },
  { name: "agent-name", default: "driftguard-agent" },
  { name: "reviewers", default: "" },
  { name: "days", default: "365" },
];

const USAGE = `usage: driftguard certs --out DIR [options]

Creates, with the openssl command, a private CA (DIR/ca.crt, ca.key; kept and reused if
DIR/ca.crt exists) and signed by it: the collector's certificate (server.crt/.key), the
agents' client certificate (agent.crt/.key, OU=agent) and reviewers' client certificates
(reviewer-NAME.crt/.key, OU=ROLE). Keys are EC P-256, mode 0600. Keep ca.key offline.

  --out DIR               where the files go (required)
  --server-names A,B      DNS names of the collector [localhost]
  --server-ips A,B        IP addresses of the collector [127.0.0.1]
  --agent-name NAME       CN of the agent certificate [driftguard-agent]
  --reviewers N:ROLE,...  reviewer certificates, ROLE reader|triager|admin
  --days N                validity of the issued certificates [365]`;

const list = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

export const certsCommand: Command = {
  name: "certs",
  summary: "create a CA and collector, agent and reviewer certificates (openssl)",
  usage: USAGE,
  async run(argv) {
    const flags = parseFlags(argv, FLAGS);
    const out = flags.values.get("out");
    if (!out) throw new UsageError("--out DIR is required");
    const days = positiveInt(flags, "days");
    const reviewers = list(flags.values.get("reviewers")).map((r) => {
      const [name, role] = r.split(":");
      if (!name || !/^[A-Za-z0-9._-]+$/.test(name) || !["reader", "triager", "admin"].includes(role)) {
        throw new UsageError(`--reviewers: "${r}" must be NAME:ROLE with ROLE reader, triager or admin`);
      }
      return { name, role };
    });
    const notAfter = new Date(Date.now() + days * 86_400_000);
    const ca = ensureCa(out);
    const written = [ca.created ? `${ca.certFile} (new CA)` : `${ca.certFile} (existing CA)`];
    const server = issueCertificate(ca, out, {
      name: "server",
      commonName: list(flags.values.get("server-names"))[0] ?? "driftguard-collector",
      usage: "server",
      dnsNames: list(flags.values.get("server-names")),
      ipAddresses: list(flags.values.get("server-ips")),
      notAfter,
    });
    const agent = issueCertificate(ca, out, {
      name: "agent",
      commonName: flags.values.get("agent-name")!,
      organizationalUnit: "agent",
      usage: "client",
      notAfter,
    });
    written.push(server.certFile, agent.certFile);
    for (const r of reviewers) {
      const files = issueCertificate(ca, out, {
        name: `reviewer-${r.name}`,
        commonName: r.name,
        organizationalUnit: r.role,
        usage: "client",
        notAfter,
      });
      written.push(files.certFile);
    }
    process.stdout.write(
      written.map((f) => `wrote ${f}`).join("\n") +
        `\n\ncollector: --tls-cert ${path.join(out, "server.crt")} --tls-key ${path.join(out, "server.key")} --client-ca ${ca.certFile}` +
        `\nagent:     --collector-ca ${ca.certFile} --agent-cert ${agent.certFile} --agent-key ${agent.keyFile}\n`,
    );
    return 0;
  },
};
