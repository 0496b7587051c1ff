// How the CLI reaches the collector's FindingService: the connection flags every command
// that asks the collector shares (`driftguard findings`, `driftguard agents`).
import * as fs from "node:fs";

import { FindingsClient } from "../collector/findingsClient";
import { errorMessage } from "../util/errorMessage";
import { visibleText } from "../util/visibleText";
import { UsageError } from "./command";
import type { FlagSpec, ParsedFlags } from "./flags";

export const CONNECTION_FLAGS: FlagSpec[] = [
  { name: "server", default: "localhost:7443", env: true },
  { name: "ca", env: true },
  { name: "token-file", env: true },
  { name: "cert", env: true },
  { name: "key", env: true },
  { name: "insecure", boolean: true },
];

export const CONNECTION_USAGE = `Connection (also DRIFTGUARD_SERVER, _CA, _TOKEN_FILE, _CERT, _KEY; or DRIFTGUARD_TOKEN):
  --server HOST[:PORT]      the collector's gRPC port [localhost:7443; a HOST alone means port 7443]
  --ca FILE                 CA that signed the collector's certificate
  --token-file FILE         a file holding your bearer token
  --cert FILE --key FILE    or a client certificate (OU = your role)
  --insecure                plaintext, for a collector started with --insecure`;

export function connect(flags: ParsedFlags, server: string): FindingsClient {
  try {
    return new FindingsClient({
      address: server,
      caFile: flags.values.get("ca"),
      token: readToken(flags),
      certFile: flags.values.get("cert"),
      keyFile: flags.values.get("key"),
      insecure: flags.booleans.has("insecure"),
    });
  } catch (error) {
    // A missing or unreadable file: the user's to fix, said in one line.
    throw new UsageError(errorMessage(error));
  }
}

function readToken(flags: ParsedFlags): string | undefined {
  const file = flags.values.get("token-file");
  if (!file) return process.env.DRIFTGUARD_TOKEN || undefined;
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new UsageError(`cannot read --token-file ${visibleText(file)}: ${errorMessage(error)}`);
  }
}
