// Identities the collector refuses although their credentials are valid: a node taken out
// of service, an agent pod or token that leaked, a client certificate that leaked (the
// shared agent certificate, a reviewer's). A text file (--revocations), re-read while the
// collector runs; open streams of a newly revoked identity are ended at once.
//
//   # kind        value
//   node          ip-10-0-1-23.eu-west-1.compute.internal   # the node name in agent tokens
//   pod-uid       8d0c2b1e-...                              # every token of one agent pod
//   token-id      5f1a...                                   # one token (its jti)
//   certificate   3A:9F:...                                 # SHA-256 fingerprint (openssl x509 -fingerprint -sha256)
export type RevocationKind = "node" | "pod-uid" | "token-id" | "certificate";
const KINDS: readonly string[] = ["node", "pod-uid", "token-id", "certificate"];

export interface RevocationKey {
  kind: RevocationKind;
  value: string;
}

export class Revocations {
  private constructor(private readonly entries: Set<string>) {}

  static readonly none = new Revocations(new Set());

  /** Throws naming the line that is not "KIND VALUE". */
  static parse(text: string, source: string): Revocations {
    const entries = new Set<string>();
    text.split("\n").forEach((raw, i) => {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) return;
      const fields = line.split(/\s+/);
      if (fields.length !== 2 || !KINDS.includes(fields[0])) {
        throw new Error(`${source} line ${i + 1}: expected "KIND VALUE" with KIND one of ${KINDS.join(", ")}`);
      }
      entries.add(entryOf({ kind: fields[0] as RevocationKind, value: fields[1] }));
    });
    return new Revocations(entries);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The first of `keys` that is revoked. */
  find(keys: readonly RevocationKey[]): RevocationKey | undefined {
    return keys.find((k) => k.value !== "" && this.entries.has(entryOf(k)));
  }
}

/** Certificate fingerprints compare without colons and case, as openssl and Node print them differently. */
function entryOf(k: RevocationKey): string {
  const value = k.kind === "certificate" ? k.value.replace(/:/g, "").toLowerCase() : k.value;
  return `${k.kind} ${value}`;
}
