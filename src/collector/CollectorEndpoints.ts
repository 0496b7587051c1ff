// What the collector serves besides gRPC: the review page (web/), the metrics and health
// endpoint (/metrics, /healthz, /readyz: ready when the database answers) and the webhook
// for new findings. Started after the store opened; stopped before it closes.
import { findingView } from "../api/findingView";
import type { Logger } from "../log/logger";
import type { CollectorMetrics } from "../metrics/collectorMetrics";
import { parseListenAddress } from "../metrics/listenAddress";
import { MetricsServer } from "../metrics/MetricsServer";
import type { Authenticator } from "./auth/Authenticator";
import type { TlsFiles } from "./auth/serverCredentials";
import { apiFromStored } from "./records";
import type { FindingRecord, FindingStore, StoredFinding } from "./store/FindingStore";
import { WebhookSender, type WebhookConfig } from "./webhook/WebhookSender";
import { WebServer } from "./web/WebServer";

export interface EndpointsConfig {
  /** The review page's HOST:PORT; "" or undefined: no page. */
  webListen?: string;
  /** The metrics endpoint's HOST:PORT; "" or undefined: none. */
  metricsAddress?: string;
  webhook?: WebhookConfig;
  tls?: TlsFiles;
  heartbeatMs: number;
  pollMs: number;
}

export class CollectorEndpoints {
  private constructor(
    readonly web: WebServer | undefined,
    readonly metricsServer: MetricsServer | undefined,
    readonly webhook: WebhookSender | undefined,
  ) {}

  static async start(
    config: EndpointsConfig,
    deps: { store: FindingStore; auth: Authenticator; metrics: CollectorMetrics; logger: Logger },
  ): Promise<CollectorEndpoints> {
    const { store, metrics, logger } = deps;
    const webhook =
      config.webhook &&
      new WebhookSender(config.webhook, logger.child({ part: "webhook" }), (outcome, queued) => {
        if (outcome) metrics.webhook.inc({ outcome });
        metrics.webhookQueue.set(queued);
      });
    let web: WebServer | undefined;
    let metricsServer: MetricsServer | undefined;
    try {
      if (config.webListen) {
        web = await WebServer.start({
          listen: config.webListen,
          tls: config.tls,
          store,
          auth: deps.auth,
          logger: logger.child({ part: "web" }),
          pollMs: config.pollMs,
          heartbeatMs: config.heartbeatMs,
          onWatcher: (change) => metrics.watchers.inc({ api: "web" }, change),
        });
      }
      if (config.metricsAddress) {
        const address = parseListenAddress(config.metricsAddress, "--metrics-address");
        if (typeof address === "string") throw new Error(address);
        metricsServer = await MetricsServer.start({
          address,
          registry: metrics.registry,
          logger,
          ready: async () => ({ ready: true, detail: `database schema ${await store.schemaVersion()}` }),
        });
      }
    } catch (error) {
      webhook?.close();
      await web?.close();
      throw error;
    }
    return new CollectorEndpoints(web, metricsServer, webhook);
  }

  /** Findings stored for the first time: to the webhook. */
  onNewFindings(added: FindingRecord[], receivedMs: number): void {
    if (!this.webhook) return;
    for (const record of added) {
      const stored: StoredFinding = {
        ...record,
        triageStatus: "new",
        triageActor: "",
        triageComment: "",
        triageUpdatedMs: 0,
        receivedMs,
      };
      this.webhook.enqueue(findingView(apiFromStored(stored)));
    }
  }

  async close(): Promise<void> {
    this.webhook?.close();
    await this.web?.close();
    await this.metricsServer?.close();
  }
}
