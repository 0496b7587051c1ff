// Reviewers' bearer tokens: a text file, one "ROLE NAME TOKEN" per line, "#" comments.
//
//   # role    name   token (at least 16 characters; e.g. `openssl rand -hex 24`)
//   triager   alice  9f2c...
//   reader    ci-bot 1b7e...
//
// Tokens are compared as SHA-256 digests in constant time; the file is never logged.
import { createHash, timingSafeEqual } from "node:crypto";

/** The roles a token can carry (agents authenticate with certificates): Authenticator's, less "agent". */
const TOKEN_ROLES = ["reader", "triager", "admin"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface TokenEntry {
  name: string;
  role: TokenRole;
}

function isTokenRole(role: string): role is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(role);
}

export class TokenFile {
  private constructor(private readonly entries: { digest: Buffer; entry: TokenEntry }[]) {}

  static parse(text: string, source = "tokens"): TokenFile {
    const entries: { digest: Buffer; entry: TokenEntry }[] = [];
    text.split("\n").forEach((raw, i) => {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) return;
      const fields = line.split(/\s+/);
      const where = `${source} line ${i + 1}`;
      if (fields.length !== 3) throw new Error(`${where}: expected "ROLE NAME TOKEN"`);
      const [role, name, token] = fields;
      if (!isTokenRole(role)) throw new Error(`${where}: role must be one of ${TOKEN_ROLES.join(", ")}`);
      if (token.length < 16) throw new Error(`${where}: the token is shorter than 16 characters`);
      entries.push({ digest: digest(token), entry: { name, role } });
    });
    return new TokenFile(entries);
  }

  get size(): number {
    return this.entries.length;
  }

  lookup(token: string): TokenEntry | undefined {
    const wanted = digest(token);
    let found: TokenEntry | undefined;
    // Every entry is compared, so the time does not tell which one matched.
    for (const { digest: d, entry } of this.entries) if (timingSafeEqual(d, wanted)) found = entry;
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
