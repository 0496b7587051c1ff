// The collector: gRPC server (AgentService for agents, FindingService for reviewers), its
// store, and retention. `driftguard collector` runs one; tests and benchmarks start it
// in-process on 127.0.0.1:0.
import * as grpc from "@grpc/grpc-js";

import type { Logger } from "../log/logger";
import { CollectorMetrics } from "../metrics/collectorMetrics";
import { DEFAULT_HEARTBEAT_MS, isSilent } from "./agentLiveness";
import { addAgentService } from "./AgentService";
import { Authenticator } from "./auth/Authenticator";
import { CollectorEndpoints } from "./CollectorEndpoints";
import { serverCredentials, type TlsFiles } from "./auth/serverCredentials";
import { TokenFile } from "./auth/TokenFile";
import { addFindingService } from "./FindingService";
import type { FindingStore } from "./store/FindingStore";
import { openStore, redactDb } from "./store/openStore";
import type { WebhookConfig } from "./webhook/WebhookSender";
import { errorMessage } from "../util/errorMessage";

export interface CollectorConfig {
  /** host:port; port 0 picks a free one. */
  listen: string;
  /** sqlite:PATH or postgres://... */
  db: string;
  /** Required unless insecure. */
  tls?: TlsFiles;
  tokensFile?: string;
  insecure?: boolean;
  /** Findings last seen longer ago are deleted (hourly). 0 keeps everything. */
  retentionDays: number;
  /** Larger messages are refused with RESOURCE_EXHAUSTED. Default 4 MiB. */
  maxMessageBytes?: number;
  watchPollMs?: number;
  /** The review page's HOST:PORT (HTTPS, or HTTP when insecure); "" or undefined: none. */
  webListen?: string;
  /** /metrics, /healthz, /readyz over HTTP; "" or undefined: none. */
  metricsAddress?: string;
  /** POST each new finding here. */
  webhook?: WebhookConfig;
  /** The agents' heartbeat interval: an agent silent for longer is shown as such. Default 10 s. */
  agentHeartbeatMs?: number;
}

const RETENTION_INTERVAL_MS = 3600_000;

export class Collector {
  private retentionTimer?: NodeJS.Timeout;

  private constructor(
    readonly server: grpc.Server,
    readonly store: FindingStore,
    readonly port: number,
    private readonly logger: Logger,
    readonly endpoints: CollectorEndpoints,
    readonly metrics: CollectorMetrics,
  ) {}

  /** The review page's port; undefined without one. */
  get webPort(): number | undefined {
    return this.endpoints.web?.port;
  }

  /** The metrics endpoint's port; undefined without one. */
  get metricsPort(): number | undefined {
    return this.endpoints.metricsServer?.port;
  }

  static async start(config: CollectorConfig, logger: Logger): Promise<Collector> {
    if (!config.insecure && !config.tls) {
      throw new Error("the collector needs --tls-cert, --tls-key and --client-ca (or --insecure for a local trial)");
    }
    const tokens = config.tokensFile ? TokenFile.read(config.tokensFile) : undefined;
    const credentials = serverCredentials(config.insecure ? undefined : config.tls);
    const store = await openStore(config.db);
    const maxMessageBytes = config.maxMessageBytes ?? 4 << 20;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": maxMessageBytes,
      "grpc.max_send_message_length": 16 << 20,
      // Agents ping every 10 s to notice a dead path; allow it.
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.http2.min_ping_interval_without_data_ms": 5_000,
    });
    const heartbeatMs = config.agentHeartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const metrics = new CollectorMetrics(async () => {
      const now = Date.now();
      const agents = await store.agents();
      const silent = agents.filter((a) => isSilent(a, now, heartbeatMs)).length;
      return { live: agents.length - silent, silent };
    });
    const auth = new Authenticator({
      tokens,
      insecure: config.insecure,
      onRefused: (what, error) =>
        metrics.authFailures.inc({ api: what.startsWith("web ") ? "web" : "grpc", code: grpc.status[error.code] }),
    });
    let endpoints: CollectorEndpoints;
    try {
      endpoints = await CollectorEndpoints.start(
        { ...config, heartbeatMs, pollMs: config.watchPollMs ?? 500, tls: config.insecure ? undefined : config.tls },
        { store, auth, metrics, logger },
      );
    } catch (error) {
      await store.close();
      throw error;
    }
    addAgentService(server, {
      store,
      auth,
      logger: logger.child({ service: "agent" }),
      onIngest: ({ received, ms, added, receivedMs }) => {
        metrics.onIngest(received, ms, added);
        endpoints.onNewFindings(added, receivedMs);
      },
      onStream: (change) => (change === 0 ? metrics.heartbeats.inc() : metrics.streams.inc(change)),
    });
    addFindingService(server, {
      store,
      auth,
      logger: logger.child({ service: "findings" }),
      watchPollMs: config.watchPollMs,
      onWatcher: (change) => metrics.watchers.inc({ api: "grpc" }, change),
    });
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(config.listen, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
      );
    } catch (error) {
      await endpoints.close();
      await store.close();
      throw new Error(`cannot listen on ${config.listen}: ${errorMessage(error)}`);
    }
    const collector = new Collector(server, store, port, logger, endpoints, metrics);
    if (config.retentionDays > 0) collector.startRetention(config.retentionDays);
    if (config.insecure) {
      logger.warn(
        "INSECURE: no TLS, no authentication; anyone who reaches this port can send and read findings. For local trials only.",
      );
    }
    logger.info(
      {
        listen: config.listen,
        port,
        db: redactDb(config.db),
        store: store.kind,
        schema: await store.schemaVersion(),
        tokens: tokens?.size ?? 0,
        retentionDays: config.retentionDays,
        insecure: !!config.insecure,
        webPort: endpoints.web?.port,
        metricsPort: endpoints.metricsServer?.port,
        webhook: config.webhook ? new URL(config.webhook.url).origin : undefined,
      },
      "collector started",
    );
    return collector;
  }

  /** Stops accepting calls, waits up to graceMs for running ones, closes the store. */
  async stop(graceMs = 2000): Promise<void> {
    clearInterval(this.retentionTimer);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.endpoints.close();
    await this.store.close();
    this.logger.info("collector stopped");
  }

  private startRetention(days: number): void {
    const sweep = (): void => {
      const cutoff = Date.now() - days * 86_400_000;
      this.store.deleteOlderThan(cutoff).then(
        (deleted) => {
          if (deleted > 0)
            this.logger.info({ deleted, cutoff: new Date(cutoff).toISOString() }, "retention: findings deleted");
        },
        (error: unknown) => this.logger.error({ err: error }, "retention sweep failed"),
      );
    };
    sweep();
    this.retentionTimer = setInterval(sweep, RETENTION_INTERVAL_MS);
    this.retentionTimer.unref();
  }
}
