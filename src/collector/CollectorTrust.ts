// Everything the collector trusts callers by, loaded at start and kept current while it
// runs: its TLS certificate, key and client CA, the reviewers' tokens, the cluster issuer's
// keys for agent tokens, and the revocation list. A change of the tokens or the revocation
// list also ends the open streams of callers no longer trusted. Each file is re-read every
// reloadMs (reload/FileWatch.ts).
import { status } from "@grpc/grpc-js";

import type { Logger } from "../log/logger";
import { refusalLogger } from "./auth/refusalLog";
import type { CollectorMetrics } from "../metrics/collectorMetrics";
import { Authenticator } from "./auth/Authenticator";
import { ServerTls, type TlsFiles } from "./auth/serverCredentials";
import { TokenFile } from "./auth/TokenFile";
import { AgentAuth } from "./identity/AgentAuth";
import { AgentTokenVerifier, DEFAULT_AUDIENCE } from "./identity/AgentTokenVerifier";
import { IssuerKeys, checkKeyUrl, isUrl } from "./identity/IssuerKeys";
import { Revocations } from "./identity/Revocations";
import { FileWatch, readFlagFiles, type ReloadResult } from "./reload/FileWatch";

export const DEFAULT_AGENT_SERVICE_ACCOUNT = "driftguard/driftguard-agent";

/** Agents bound to nodes by their pods' projected ServiceAccount tokens. */
export interface AgentTokenConfig {
  /** The cluster's OIDC issuer (the tokens' iss). */
  issuer: string;
  /** The cluster's name: the agents' --cluster-name. */
  cluster: string;
  /** A JWKS file or https URL; default: the issuer's discovery document names it. */
  jwks?: string;
  /** Default driftguard-collector. */
  audience?: string;
  /** NAMESPACE/NAME of the agents' ServiceAccount. Default driftguard/driftguard-agent. */
  serviceAccount?: string;
  /** Clock skew allowed on exp, nbf and iat. Default 60 s. */
  skewMs?: number;
  /** A JWKS URL: fetched again this often [10 min], and for an unknown key at most this often [30 s]. */
  keyRefresh?: { everyMs?: number; minIntervalMs?: number };
}

export interface TrustConfig {
  insecure?: boolean;
  tls?: TlsFiles;
  tokensFile?: string;
  agentToken?: AgentTokenConfig;
  revocationsFile?: string;
  reloadMs: number;
}

export class CollectorTrust {
  private readonly watches: FileWatch[] = [];
  private issuerKeys?: IssuerKeys;
  private revocations = Revocations.none;
  private callersListener: (revocations: Revocations) => void = () => undefined;
  readonly tls?: ServerTls;
  readonly auth: Authenticator;
  readonly agents: AgentAuth;

  /** Throws (naming the flag) when a file cannot be read or is invalid. */
  constructor(config: TrustConfig, deps: { logger: Logger; metrics: CollectorMetrics }) {
    const { logger, metrics } = deps;
    /** Applies the files' contents now and again whenever they change. */
    const watch = (what: string, files: string[], apply: (contents: Buffer[]) => void, initial: Buffer[]) => {
      apply(initial);
      const onReload = (w: string, result: ReloadResult) => metrics.reloads.inc({ what: w, result });
      this.watches.push(new FileWatch({ what, files, intervalMs: config.reloadMs, logger, apply, onReload }, initial));
    };
    const watchFlag = (what: string, file: string, flag: string, apply: (text: string) => void) =>
      watch(what, [file], ([text]) => apply(text.toString("utf8")), readFlagFiles([{ file, flag }]));
    try {
      if (!config.insecure && config.tls) {
        const { certFile, keyFile, clientCaFile } = config.tls;
        const tls = ServerTls.read(config.tls);
        const { certificate, privateKey, caCertificate } = tls.material;
        watch("tls", [certFile, keyFile, clientCaFile], (c) => tls.update(c), [certificate, privateKey, caCertificate]);
        this.tls = tls;
      }
      const logRefusal = refusalLogger(logger.child({ part: "auth" }), { limit: 20, windowMs: 60_000 });
      this.auth = new Authenticator({
        insecure: config.insecure,
        revocations: () => this.revocations,
        onRefused: (what, error) => {
          metrics.authFailures.inc({ api: what.startsWith("web ") ? "web" : "grpc", code: status[error.code] });
          logRefusal(what, error);
        },
      });
      const { tokensFile, revocationsFile } = config;
      if (tokensFile && !config.insecure) {
        watchFlag("tokens", tokensFile, "--tokens", (text) => {
          this.auth.setTokens(TokenFile.parse(text, tokensFile));
          this.callersListener(this.revocations);
        });
      }
      if (revocationsFile) {
        watchFlag("revocations", revocationsFile, "--revocations", (text) => {
          this.revocations = Revocations.parse(text, revocationsFile);
          this.callersListener(this.revocations);
        });
      }
      const verifier =
        config.agentToken && !config.insecure
          ? this.tokenVerifier(config.agentToken, config.reloadMs, deps)
          : undefined;
      this.agents = new AgentAuth({
        auth: this.auth,
        verifier,
        keysLoaded: () => this.issuerKeys?.loaded ?? false,
        revocations: () => this.revocations,
        onRefused: (reason) => metrics.agentRefusals.inc({ reason }),
      });
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  /** Called (with the revocation list) whenever the tokens or the revocation list change. */
  onCallersChanged(listener: (revocations: Revocations) => void): void {
    this.callersListener = listener;
  }

  get revokedCount(): number {
    return this.revocations.size;
  }

  /** Re-reads every file now (tests: no wait for the next poll). */
  async reloadNow(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.poll()));
    await this.issuerKeys?.reloadNow();
  }

  stop(): void {
    for (const w of this.watches) w.stop();
    this.issuerKeys?.stop();
  }

  private tokenVerifier(
    c: AgentTokenConfig,
    reloadMs: number,
    deps: { logger: Logger; metrics: CollectorMetrics },
  ): AgentTokenVerifier {
    checkKeyUrl(c.issuer, "--agent-token-issuer");
    if (c.jwks && isUrl(c.jwks)) checkKeyUrl(c.jwks, "--agent-token-jwks");
    const [namespace, serviceAccount, extra] = (c.serviceAccount ?? DEFAULT_AGENT_SERVICE_ACCOUNT).split("/");
    if (!namespace || !serviceAccount || extra !== undefined) {
      throw new Error(`--agent-token-service-account ${c.serviceAccount} must be NAMESPACE/NAME`);
    }
    this.issuerKeys = IssuerKeys.start({
      issuer: c.issuer,
      jwks: c.jwks,
      reloadMs,
      refreshMs: c.keyRefresh?.everyMs,
      minRefetchMs: c.keyRefresh?.minIntervalMs,
      logger: deps.logger.child({ part: "issuer-keys" }),
      onReload: (what, result) => deps.metrics.reloads.inc({ what, result }),
      onKeys: (count) => deps.metrics.issuerKeys.set(count),
    });
    const policy = {
      issuer: c.issuer,
      cluster: c.cluster,
      audience: c.audience ?? DEFAULT_AUDIENCE,
      namespace,
      serviceAccount,
      skewMs: c.skewMs,
    };
    return new AgentTokenVerifier(policy, this.issuerKeys);
  }
}
