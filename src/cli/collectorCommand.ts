// `driftguard collector`: the central gRPC collector, until SIGTERM/SIGINT.
import * as fs from "node:fs";

import { Collector, type CollectorConfig } from "../collector/Collector";
import type { AgentTokenConfig } from "../collector/CollectorTrust";
import type { WebhookConfig } from "../collector/webhook/WebhookSender";
import { componentLogger } from "../log/logger";
import { UsageError, type Command } from "./command";
import { parseFlags, positiveInt, type FlagSpec, type ParsedFlags } from "./flags";
import { errorMessage } from "../util/errorMessage";

const DEFAULT_DB = "sqlite:/var/lib/driftguard/collector.db";
const FLAGS: FlagSpec[] = [
  { name: "listen", default: "0.0.0.0:7443", env: true },
  { name: "db", default: DEFAULT_DB, env: true },
  { name: "tls-cert", env: true },
  { name: "tls-key", env: true },
  { name: "client-ca", env: true },
  { name: "tokens", env: true },
  { name: "retention-days", default: "90", env: true },
  { name: "sample-retention-days", default: "30", env: true },
  { name: "sample-store-mib", default: "4096", env: true },
  { name: "max-message-bytes", default: String(4 << 20), env: true },
  { name: "insecure", boolean: true, env: true },
  { name: "web-listen", default: "0.0.0.0:7444", env: true },
  { name: "metrics-address", default: ":9465", env: true },
  { name: "webhook-url", env: true },
  { name: "webhook-secret-file", env: true },
  { name: "agent-heartbeat-seconds", default: "10", env: true },
  { name: "agent-token-issuer", env: true },
  { name: "agent-token-cluster", env: true },
  { name: "agent-token-jwks", env: true },
  { name: "agent-token-audience", env: true },
  { name: "agent-token-service-account", env: true },
  { name: "revocations", env: true },
];
const AGENT_TOKEN_FLAGS = [
  "agent-token-cluster",
  "agent-token-jwks",
  "agent-token-audience",
  "agent-token-service-account",
];

const USAGE = `usage: driftguard collector [options]

Receives findings from the agents (AgentService, mTLS) and serves them to the security
team (FindingService: bearer tokens or client certificates). Every option can also be
given as DRIFTGUARD_<OPTION>.

  --listen HOST:PORT        [0.0.0.0:7443]
  --db URL                  sqlite:PATH (one file, created on first start) or
                            postgres://USER:PASSWORD@HOST:PORT/DB (several replicas) [${DEFAULT_DB}]
  --tls-cert FILE           the collector's certificate (PEM)
  --tls-key FILE            its key
  --client-ca FILE          CA of agent and reviewer certificates
  --tokens FILE             reviewers' bearer tokens: lines "ROLE NAME TOKEN", ROLE reader|triager|admin
  --retention-days N        delete findings last seen longer ago; 0 keeps all [90]
  --sample-retention-days N delete captured samples stored longer ago; 0 keeps all [30]
  --sample-store-mib N      bytes all captured samples may take in the database; agents'
                            offers past it are refused [4096]
  --max-message-bytes N     larger messages are refused [4194304]
  --insecure                no TLS and no authentication: for a local trial only
  --web-listen HOST:PORT    the review page (HTTPS with the same certificate, tokens and
                            client certificates as the API); "" turns it off [0.0.0.0:7444]
  --metrics-address H:P     /metrics, /healthz, /readyz over plain HTTP; "" turns them off [:9465]
  --webhook-url URL         POST every new finding there (JSON, retried with backoff)
  --webhook-secret-file F   HMAC-SHA256 key (at least 16 bytes) for X-Driftguard-Signature
  --agent-heartbeat-seconds N  the agents' heartbeat interval: silent agents are shown as such [10]

Agents bound to their nodes (each agent sends its pod's projected ServiceAccount token,
which names its node; findings and heartbeats for any other node are refused):
  --agent-token-issuer URL  the cluster's OIDC issuer, e.g. https://oidc.eks.REGION.amazonaws.com/id/ID
                            (aws eks describe-cluster --query cluster.identity.oidc.issuer)
  --agent-token-cluster N   the cluster's name, as the agents' --cluster-name
  --agent-token-jwks F|URL  the issuer's keys: a JWKS file or https URL [found from the issuer's
                            /.well-known/openid-configuration]
  --agent-token-audience A  [driftguard-collector]
  --agent-token-service-account NS/NAME  the agents' ServiceAccount [driftguard/driftguard-agent]
  --revocations FILE        refused although valid: lines "node NAME", "pod-uid UID", "token-id JTI",
                            "certificate SHA256-FINGERPRINT"; open streams of revoked callers end

Certificates, keys, --tokens, a JWKS file and --revocations are re-read when they change.
Certificates for a first install: driftguard certs --out DIR.`;

export function collectorConfigFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const flags = parseFlags(argv, FLAGS, env);
  if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${flags.positionals[0]}`);
  const insecure = flags.booleans.has("insecure");
  const tlsFlags = ["tls-cert", "tls-key", "client-ca"].filter((f) => flags.values.has(f));
  if (!insecure && tlsFlags.length < 3) {
    throw new UsageError("--tls-cert, --tls-key and --client-ca are required (or --insecure for a local trial)");
  }
  if (insecure && tlsFlags.length > 0) throw new UsageError("--insecure cannot be combined with TLS options");
  const trustFlags = ["agent-token-issuer", ...AGENT_TOKEN_FLAGS, "revocations", "tokens"].filter((f) =>
    flags.values.has(f),
  );
  if (insecure && trustFlags.length > 0) {
    throw new UsageError(`--insecure turns authentication off; it cannot be combined with --${trustFlags[0]}`);
  }
  const retention = Number(flags.values.get("retention-days"));
  if (!Number.isSafeInteger(retention) || retention < 0) throw new UsageError("--retention-days must be 0 or more");
  const sampleRetention = Number(flags.values.get("sample-retention-days"));
  if (!Number.isSafeInteger(sampleRetention) || sampleRetention < 0) {
    throw new UsageError("--sample-retention-days must be 0 or more");
  }
  const heartbeatSeconds = positiveInt(flags, "agent-heartbeat-seconds");
  return {
    listen: flags.values.get("listen")!,
    db: flags.values.get("db")!,
    tls: insecure
      ? undefined
      : {
          certFile: flags.values.get("tls-cert")!,
          keyFile: flags.values.get("tls-key")!,
          clientCaFile: flags.values.get("client-ca")!,
        },
    tokensFile: flags.values.get("tokens"),
    insecure,
    retentionDays: retention,
    maxMessageBytes: positiveInt(flags, "max-message-bytes"),
    webListen: flags.values.get("web-listen"),
    metricsAddress: flags.values.get("metrics-address"),
    webhook: webhookConfig(flags.values.get("webhook-url"), flags.values.get("webhook-secret-file")),
    agentHeartbeatMs: heartbeatSeconds * 1000,
    agentToken: agentTokenConfig(flags),
    revocationsFile: flags.values.get("revocations"),
    samples: { retentionDays: sampleRetention, storeBytes: positiveInt(flags, "sample-store-mib") * 1024 * 1024 },
  };
}

function agentTokenConfig(flags: ParsedFlags): AgentTokenConfig | undefined {
  const issuer = flags.values.get("agent-token-issuer");
  const given = AGENT_TOKEN_FLAGS.filter((f) => flags.values.has(f));
  if (!issuer) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --agent-token-issuer`);
    return undefined;
  }
  const cluster = flags.values.get("agent-token-cluster");
  if (!cluster) throw new UsageError("--agent-token-issuer needs --agent-token-cluster (the agents' --cluster-name)");
  return {
    issuer,
    cluster,
    jwks: flags.values.get("agent-token-jwks"),
    audience: flags.values.get("agent-token-audience"),
    serviceAccount: flags.values.get("agent-token-service-account"),
  };
}

function webhookConfig(url: string | undefined, secretFile: string | undefined): WebhookConfig | undefined {
  if (!url && !secretFile) return undefined;
  if (!url || !secretFile) throw new UsageError("--webhook-url and --webhook-secret-file go together");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--webhook-url ${url} is not a URL`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UsageError("--webhook-url must be an http:// or https:// URL");
  }
  let secret: Buffer;
  try {
    secret = Buffer.from(fs.readFileSync(secretFile, "utf8").trim());
  } catch (error) {
    throw new UsageError(`cannot read --webhook-secret-file ${secretFile}: ${errorMessage(error)}`);
  }
  if (secret.length < 16) {
    throw new UsageError(`--webhook-secret-file ${secretFile} holds fewer than 16 bytes; e.g. openssl rand -hex 32`);
  }
  return { url, secret };
}

export const collectorCommand: Command = {
  name: "collector",
  summary: "run the central findings collector (gRPC, SQLite or PostgreSQL)",
  usage: USAGE,
  async run(argv) {
    const config = collectorConfigFromArgs(argv);
    const logger = componentLogger("collector");
    if (config.insecure) {
      process.stderr.write(
        "\n*** driftguard collector --insecure: NO TLS, NO AUTHENTICATION. Anyone who reaches\n" +
          `*** ${config.listen} can send and read findings. Use it for a local trial only. ***\n\n`,
      );
    }
    let collector: Collector;
    try {
      collector = await Collector.start(config, logger);
    } catch (error) {
      logger.fatal({ err: error }, "collector failed to start");
      process.stderr.write(`driftguard collector: ${errorMessage(error)}\n`);
      return 1;
    }
    await new Promise<void>((resolve) => {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.once(signal, () => {
          logger.info({ signal }, "stopping");
          resolve();
        });
      }
    });
    await collector.stop();
    return 0;
  },
};
