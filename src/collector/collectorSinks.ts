// The one place the collector's finding sinks are registered: where a finding stored for
// the first time goes besides the database. Adding an output is a FindingSink
// (src/sink/FindingSink.ts) and a line here.
import type { FindingView } from "../api/findingView";
import type { Logger } from "../log/logger";
import type { CollectorMetrics } from "../metrics/collectorMetrics";
import type { FindingSink } from "../sink/FindingSink";
import type { FindingSinks } from "../sink/FindingSinks";
import { WebhookSender, type WebhookConfig } from "./webhook/WebhookSender";

/**
 * A finding stored for the first time, or reopened because its execs went on after it was
 * closed, and the agent identity that sent it (sinks share fairly by it).
 */
export interface NewFinding {
  view: FindingView;
  source: string;
  event: "new" | "recurred";
}

export interface CollectorSinkOptions {
  /** --webhook-url and its secret. */
  webhook?: WebhookConfig;
  metrics: CollectorMetrics;
  logger: Logger;
}

export function registerCollectorSinks(sinks: FindingSinks<NewFinding>, o: CollectorSinkOptions): void {
  // Signed POSTs, one at a time, from a bounded queue shared fairly between agents (drops counted).
  if (o.webhook) sinks.add(webhookSink(o.webhook, o.metrics, o.logger.child({ part: "webhook" })));
}

function webhookSink(config: WebhookConfig, metrics: CollectorMetrics, logger: Logger): FindingSink<NewFinding> {
  const sender = new WebhookSender(config, logger, (outcome, queued) => {
    if (outcome) metrics.webhook.inc({ outcome });
    metrics.webhookQueue.set(queued);
  });
  let written = 0;
  return {
    name: "webhook",
    write(finding) {
      written++;
      sender.enqueue(finding.view, finding.source, finding.event);
    },
    stats() {
      const s = sender.stats();
      return { written, dropped: s.dropped + s.evicted + s.failed };
    },
    async close() {
      sender.close();
    },
  };
}
