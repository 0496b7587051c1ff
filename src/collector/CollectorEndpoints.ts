// What the collector serves besides gRPC: the review page (web/), the metrics and health
// endpoint (/metrics, /healthz, /readyz: ready when the database answers) and the finding
// sinks for new and recurring findings (collectorSinks.ts: the webhook). Started after the store opened;
// stopped before it closes.
import { findingView } from "../api/findingView";
import type { Logger } from "../log/logger";
import type { CollectorMetrics } from "../metrics/collectorMetrics";
import { parseListenAddress } from "../metrics/listenAddress";
import { MetricsServer } from "../metrics/MetricsServer";
import type { Authenticator } from "./auth/Authenticator";
import { FindingSinks } from "../sink/FindingSinks";
import type { ServerTls } from "./auth/serverCredentials";
import { registerCollectorSinks, type NewFinding } from "./collectorSinks";
import type { PageBound } from "./limits/boundedPage";
import type { CallerStreams } from "./limits/CallerStreams";
import { apiFromStored } from "./records";
import type { FindingRecord, FindingStore, StoredFinding } from "./store/FindingStore";
import type { WebhookConfig } from "./webhook/WebhookSender";
import { WebServer } from "./web/WebServer";

export interface EndpointsConfig {
  /** The review page's HOST:PORT; "" or undefined: no page. */
  webListen?: string;
  /** The metrics endpoint's HOST:PORT; "" or undefined: none. */
  metricsAddress?: string;
  webhook?: WebhookConfig;
  tls?: ServerTls;
  heartbeatMs: number;
  pollMs: number;
  /** Live-update streams per reviewer (shared with WatchFindings). */
  watchStreams: CallerStreams;
  pageBound: PageBound;
}

export class CollectorEndpoints {
  private constructor(
    readonly web: WebServer | undefined,
    readonly metricsServer: MetricsServer | undefined,
    readonly sinks: FindingSinks<NewFinding>,
  ) {}

  static async start(
    config: EndpointsConfig,
    deps: { store: FindingStore; auth: Authenticator; metrics: CollectorMetrics; logger: Logger },
  ): Promise<CollectorEndpoints> {
    const { store, metrics, logger } = deps;
    const sinks = new FindingSinks<NewFinding>(logger.child({ part: "sinks" }));
    registerCollectorSinks(sinks, { webhook: config.webhook, metrics, logger });
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
          watchStreams: config.watchStreams,
          pageBound: config.pageBound,
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
      await sinks.close();
      await web?.close();
      throw error;
    }
    return new CollectorEndpoints(web, metricsServer, sinks);
  }

  /** Findings stored for the first time, from agent `source`: to every sink. */
  onNewFindings(added: FindingRecord[], receivedMs: number, source: string): void {
    if (this.sinks.size === 0) return;
    for (const record of added) {
      const stored: StoredFinding = {
        ...record,
        triageStatus: "new",
        triageActor: "",
        triageComment: "",
        triageUpdatedMs: 0,
        receivedMs,
        raisedMs: receivedMs,
      };
      this.sinks.write({ view: findingView(apiFromStored(stored)), source, event: "new" });
    }
  }

  /** Findings a recurrence reopened, as stored now: to every sink again. */
  onRecurred(reopened: StoredFinding[], source: string): void {
    if (this.sinks.size === 0) return;
    for (const stored of reopened)
      this.sinks.write({ view: findingView(apiFromStored(stored)), source, event: "recurred" });
  }

  async close(): Promise<void> {
    await this.sinks.close();
    await this.web?.close();
    await this.metricsServer?.close();
  }
}
