// The collector: gRPC server (AgentService for agents, FindingService for reviewers), its
// store, what it trusts callers by (CollectorTrust), the per-caller bounds, and retention.
// `driftguard collector` runs one; tests and benchmarks start it in-process on 127.0.0.1:0.
import * as grpc from "@grpc/grpc-js";

import type { Logger } from "../log/logger";
import { CollectorMetrics } from "../metrics/collectorMetrics";
import { countByStatus, DEFAULT_HEARTBEAT_MS, isSilent } from "./agentLiveness";
import { addAgentService } from "./AgentService";
import { CollectorEndpoints } from "./CollectorEndpoints";
import { serverCredentials, type TlsFiles } from "./auth/serverCredentials";
import { CollectorTrust, type AgentTokenConfig } from "./CollectorTrust";
import { addFindingService } from "./FindingService";
import { DEFAULT_SAMPLE_CONFIG, startSampleRetention, type SampleConfig } from "./samples/sampleRetention";
import { uploadSamplesHandler } from "./samples/uploadSamples";
import { MAX_PAGE_BYTES, type PageBound } from "./limits/boundedPage";
import { CallerStreams } from "./limits/CallerStreams";
import { UnackedBytes } from "./limits/UnackedBytes";
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
  /** Bind agents to nodes by their projected ServiceAccount tokens. */
  agentToken?: AgentTokenConfig;
  /** Revoked identities and certificates (Revocations.ts). */
  revocationsFile?: string;
  /** How often certificates, keys, tokens, JWKS and revocation files are re-read. Default 5 s. */
  reloadMs?: number;
  limits?: Partial<CollectorLimits>;
  /** Captured samples: the store's size and retention (DEFAULT_SAMPLE_CONFIG). */
  samples?: Partial<SampleConfig>;
}

/** What one caller may hold at once. */
export interface CollectorLimits {
  /** Report streams per agent identity (one normally; two while it reconnects). */
  agentStreams: number;
  /** WatchFindings streams and review pages with live updates per reviewer. */
  watchStreams: number;
  /** Bytes of watched findings a reviewer's readers have not taken yet. */
  watchUnackedBytes: number;
  /** Bytes of findings in one page (ListFindings, the page's table). */
  pageBytes: number;
}

export const DEFAULT_LIMITS: CollectorLimits = {
  agentStreams: 4,
  watchStreams: 8,
  watchUnackedBytes: 1 << 20,
  pageBytes: MAX_PAGE_BYTES,
};

const RETENTION_INTERVAL_MS = 3600_000;

export class Collector {
  private retentionTimer?: NodeJS.Timeout;
  private sampleRetentionTimer?: NodeJS.Timeout;

  private constructor(
    readonly server: grpc.Server,
    readonly store: FindingStore,
    readonly port: number,
    private readonly logger: Logger,
    readonly endpoints: CollectorEndpoints,
    readonly metrics: CollectorMetrics,
    readonly trust: CollectorTrust,
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
    const limits = { ...DEFAULT_LIMITS, ...config.limits };
    const heartbeatMs = config.agentHeartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const store = await openStore(config.db);
    const metrics = new CollectorMetrics(async () => {
      const now = Date.now();
      const agents = await store.agents();
      const silent = agents.filter((a) => isSilent(a, now, heartbeatMs)).length;
      return { live: agents.length - silent, silent, byStatus: countByStatus(agents, now, heartbeatMs) };
    });
    let trust: CollectorTrust;
    try {
      trust = new CollectorTrust({ ...config, reloadMs: config.reloadMs ?? 5000 }, { logger, metrics });
    } catch (error) {
      await store.close();
      throw error;
    }
    const agentStreams = new CallerStreams(limits.agentStreams, "replace-oldest", () =>
      metrics.streamsRefused.inc({ api: "agent" }),
    );
    const watchStreams = new CallerStreams(limits.watchStreams, "refuse", () =>
      metrics.streamsRefused.inc({ api: "watch" }),
    );
    const sampleStreams = new CallerStreams(limits.agentStreams, "replace-oldest", () =>
      metrics.streamsRefused.inc({ api: "samples" }),
    );
    trust.onCallersChanged((revocations) => {
      const ended =
        agentStreams.endRevoked(revocations) +
        sampleStreams.endRevoked(revocations) +
        watchStreams.endRevoked(revocations);
      metrics.streamsRevoked.inc(ended);
      if (ended > 0) logger.warn({ ended }, "streams of revoked callers ended");
    });
    const pageBound = (api: "grpc" | "web"): PageBound => ({
      maxBytes: limits.pageBytes,
      onCut: () => metrics.pagesCut.inc({ api }),
    });
    const maxMessageBytes = config.maxMessageBytes ?? 4 << 20;
    const server = new grpc.Server({
      "grpc.max_receive_message_length": maxMessageBytes,
      "grpc.max_send_message_length": 16 << 20,
      // Agents ping every 10 s to notice a dead path; allow it.
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.http2.min_ping_interval_without_data_ms": 5_000,
      // And notice a dead agent or reviewer: its streams would hold their caller's places.
      "grpc.keepalive_time_ms": 60_000,
      "grpc.keepalive_timeout_ms": 20_000,
    });
    let endpoints: CollectorEndpoints;
    try {
      endpoints = await CollectorEndpoints.start(
        {
          ...config,
          heartbeatMs,
          pollMs: config.watchPollMs ?? 500,
          tls: trust.tls,
          watchStreams,
          pageBound: pageBound("web"),
        },
        { store, auth: trust.auth, metrics, logger },
      );
    } catch (error) {
      trust.stop();
      await store.close();
      throw error;
    }
    const samples = { ...DEFAULT_SAMPLE_CONFIG, ...config.samples };
    const sampleLimits = { storeBytes: samples.storeBytes, receiving: new Set<string>(), maxReceiving: 4 };
    addAgentService(server, {
      store,
      agents: trust.agents,
      streams: agentStreams,
      logger: logger.child({ service: "agent" }),
      onIngest: ({ received, ms, added, reopened, receivedMs, source }) => {
        metrics.onIngest(received, ms, added);
        endpoints.onNewFindings(added, receivedMs, source);
        endpoints.onRecurred(reopened, source);
      },
      onHeartbeat: () => metrics.heartbeats.inc(),
      onStream: (change) => metrics.streams.inc(change),
      uploadSamples: uploadSamplesHandler({
        samples: store.samples,
        agents: trust.agents,
        limits: sampleLimits,
        streams: sampleStreams,
        logger: logger.child({ service: "samples" }),
        onAnswer: (answer) => metrics.sampleAnswers.inc({ answer: answer.replace("SAMPLE_ANSWER_", "").toLowerCase() }),
      }),
    });
    const unacked = new UnackedBytes(limits.watchUnackedBytes, (bytes) => metrics.watchUnackedBytes.set(bytes));
    addFindingService(server, {
      store,
      auth: trust.auth,
      logger: logger.child({ service: "findings" }),
      watchPollMs: config.watchPollMs,
      heartbeatMs,
      onWatcher: (change) => metrics.watchers.inc({ api: "grpc" }, change),
      watchStreams,
      unacked,
      pageBound: pageBound("grpc"),
      onWatchWait: () => metrics.watchWaits.inc(),
    });
    const credentials = serverCredentials(trust.tls);
    let port: number;
    try {
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(config.listen, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
      );
    } catch (error) {
      trust.stop();
      await endpoints.close();
      await store.close();
      throw new Error(`cannot listen on ${config.listen}: ${errorMessage(error)}`);
    }
    const collector = new Collector(server, store, port, logger, endpoints, metrics, trust);
    if (config.retentionDays > 0) collector.startRetention(config.retentionDays);
    if (samples.retentionDays > 0) {
      collector.sampleRetentionTimer = startSampleRetention(store.samples, samples.retentionDays, logger);
    }
    if (config.insecure) {
      logger.warn(
        "INSECURE: no TLS, no authentication; anyone who reaches this port can send and read findings. For local trials only.",
      );
    } else if (!trust.agents.bindsNodes) {
      logger.warn(
        "agents are not bound to nodes (no --agent-token-issuer): anyone holding the agent certificate can report as any node",
      );
    }
    logger.info(
      {
        listen: config.listen,
        port,
        db: redactDb(config.db),
        store: store.kind,
        schema: await store.schemaVersion(),
        agentTokenIssuer: config.agentToken?.issuer,
        revoked: trust.revokedCount,
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
    clearInterval(this.sampleRetentionTimer);
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
    this.trust.stop();
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
