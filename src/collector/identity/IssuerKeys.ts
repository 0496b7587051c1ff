// The cluster's OIDC issuer keys the collector checks agent tokens with: a JWKS file
// (re-read when it changes), a JWKS URL, or, given neither, the jwks_uri of the issuer's
// discovery document (<issuer>/.well-known/openid-configuration; EKS publishes both). A
// URL is fetched at start, every refreshMs, and again when a token names a key not in the
// set (an issuer rotating its key), at most once per MIN_REFETCH_MS so that tokens with
// made-up key ids cannot make the collector hammer the issuer. The last good set is kept
// when a fetch or reload fails.
import type { Logger } from "../../log/logger";
import { FileWatch, readFlagFiles, type ReloadResult } from "../reload/FileWatch";
import type { JwtAlgorithm, VerificationKey } from "./jwt";
import { KeySet } from "./KeySet";
import { errorMessage } from "../../util/errorMessage";

const DEFAULT_REFRESH_MS = 10 * 60_000;
const MIN_REFETCH_MS = 30_000;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_DOCUMENT_BYTES = 1 << 20;

export interface IssuerKeysOptions {
  issuer: string;
  /** A file, an https:// URL, or undefined: discovered from the issuer. */
  jwks?: string;
  logger: Logger;
  /** How often a JWKS file is re-read. */
  reloadMs: number;
  /** How often a JWKS URL is fetched again. Default 10 min. */
  refreshMs?: number;
  /** A fetch for an unknown key at most this often. Default 30 s. */
  minRefetchMs?: number;
  onReload?(what: string, result: ReloadResult): void;
  /** Keys changed (metrics). */
  onKeys?(count: number): void;
}

export class IssuerKeys {
  private keys?: KeySet;
  private watch?: FileWatch;
  private timer?: NodeJS.Timeout;
  private lastFetchMs = -Infinity;
  private fetching?: Promise<void>;

  private constructor(private readonly o: IssuerKeysOptions) {}

  /** A file must be readable and valid now; a URL is fetched in the background until it answers. */
  static start(o: IssuerKeysOptions): IssuerKeys {
    const keys = new IssuerKeys(o);
    if (o.jwks !== undefined && !isUrl(o.jwks)) {
      const [text] = readFlagFiles([{ file: o.jwks, flag: "--agent-token-jwks" }]);
      keys.put(KeySet.parse(text.toString("utf8"), o.jwks));
      keys.watch = new FileWatch(
        {
          what: "jwks",
          files: [o.jwks],
          intervalMs: o.reloadMs,
          logger: o.logger,
          onReload: o.onReload,
          apply: ([changed]) => keys.put(KeySet.parse(changed.toString("utf8"), o.jwks!)),
        },
        [text],
      );
      return keys;
    }
    void keys.fetch();
    keys.timer = setInterval(() => void keys.fetch(), o.refreshMs ?? DEFAULT_REFRESH_MS);
    keys.timer.unref();
    return keys;
  }

  get loaded(): boolean {
    return this.keys !== undefined;
  }

  /** The key a token names; fetches the URL again for an unknown one (rate-limited). */
  async find(kid: string | undefined, alg: JwtAlgorithm): Promise<VerificationKey | undefined> {
    const found = this.keys?.find(kid, alg);
    if (found || this.watch) return found;
    if (Date.now() - this.lastFetchMs >= (this.o.minRefetchMs ?? MIN_REFETCH_MS)) await this.fetch();
    else await this.fetching;
    return this.keys?.find(kid, alg);
  }

  /** Re-reads a JWKS file now (tests). */
  async reloadNow(): Promise<void> {
    await this.watch?.poll();
  }

  stop(): void {
    this.watch?.stop();
    clearInterval(this.timer);
  }

  private put(keys: KeySet): void {
    this.keys = keys;
    if (keys.skipped.length) this.o.logger.warn({ skipped: keys.skipped }, "issuer keys skipped");
    this.o.logger.info({ issuer: this.o.issuer, kids: keys.kids }, "issuer keys loaded");
    this.o.onKeys?.(keys.keys.length);
  }

  private fetch(): Promise<void> {
    this.fetching ??= this.fetchOnce().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchOnce(): Promise<void> {
    this.lastFetchMs = Date.now();
    try {
      const url = this.o.jwks ?? (await discoverJwksUri(this.o.issuer));
      this.put(KeySet.parse(await fetchText(url), url));
      this.o.onReload?.("jwks", "applied");
    } catch (error) {
      this.o.logger.error(
        { issuer: this.o.issuer, err: errorMessage(error), haveKeys: this.loaded },
        "cannot fetch the issuer's keys; agents with keys not yet known are refused",
      );
      this.o.onReload?.("jwks", "rejected");
    }
  }
}

export function isUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

/** https only; plain http to a loopback address is allowed for tests and local issuers. */
export function checkKeyUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} ${value} is not a URL`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`${what} ${value} must be https:// (keys fetched in plaintext could be forged)`);
  }
  return url;
}

async function discoverJwksUri(issuer: string): Promise<string> {
  const where = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const doc = JSON.parse(await fetchText(where)) as { issuer?: unknown; jwks_uri?: unknown };
  if (doc.issuer !== issuer) throw new Error(`${where} names issuer ${String(doc.issuer)}, not ${issuer}`);
  if (typeof doc.jwks_uri !== "string") throw new Error(`${where} has no jwks_uri`);
  return doc.jwks_uri;
}

async function fetchText(where: string): Promise<string> {
  const url = checkKeyUrl(where, "the key URL");
  const res = await fetch(url, {
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    headers: { accept: "application/json" },
  });
  if (res.url) checkKeyUrl(res.url, `GET ${where} redirected to`);
  if (!res.ok) throw new Error(`GET ${where}: HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`GET ${where}: larger than ${MAX_DOCUMENT_BYTES} bytes`);
  return text;
}
