// Posts each new finding, and each finding reopened by a recurrence, to a webhook
// (--webhook-url), signed (signature.ts). A bounded
// queue in memory, shared fairly between the agents that sent the findings
// (FairShareQueue.ts), delivered one POST at a time; a failed attempt (network error,
// timeout, 408, 429, 5xx) is retried with exponential backoff and jitter (util/backoff.ts:
// a random delay between half the bound and the bound, not full jitter), other 4xx
// answers are final. When the queue is full new findings are dropped and counted: the
// collector's database keeps them, only the notification is lost. A collector restart
// loses what was queued (logged).
import { randomUUID } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";

import type { FindingView } from "../../api/findingView";
import type { Logger } from "../../log/logger";
import { Backoff } from "../../util/backoff";
import { FairShareQueue } from "./FairShareQueue";
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign } from "./signature";

export interface WebhookConfig {
  url: string;
  secret: Buffer;
  /** Findings waiting, at most. Default 10000. */
  queueLimit?: number;
  /** Attempts per finding, the first included. Default 8. */
  maxAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
}

/** dropped: the queue was full; evicted: dropped to make room for a source under its fair share. */
export type WebhookOutcome = "delivered" | "retried" | "failed" | "dropped" | "evicted";

export interface WebhookStats {
  queued: number;
  delivered: number;
  retried: number;
  failed: number;
  dropped: number;
  evicted: number;
}

interface Delivery {
  id: string;
  finding: FindingView;
  /** driftguard.finding.<event>. */
  event: "new" | "recurred";
  attempt: number;
}

export class WebhookSender {
  private readonly queue: FairShareQueue<Delivery>;
  /** Being posted (or waiting for its next attempt); not in the queue. */
  private current?: Delivery;
  private closed = false;
  private timer?: NodeJS.Timeout;
  private readonly s: WebhookStats = { queued: 0, delivered: 0, retried: 0, failed: 0, dropped: 0, evicted: 0 };
  private readonly target: URL;
  /** Delays between the attempts of the delivery in hand (one at a time): reset for each. */
  private readonly retryDelay: Backoff;

  constructor(
    private readonly config: WebhookConfig,
    private readonly logger: Logger,
    /** Every outcome (undefined: only the queue length changed), for metrics. */
    private readonly onChange: (outcome: WebhookOutcome | undefined, queued: number) => void = () => undefined,
  ) {
    this.target = new URL(config.url);
    this.retryDelay = new Backoff({ initialMs: config.initialBackoffMs ?? 500, maxMs: config.maxBackoffMs ?? 30_000 });
    this.queue = new FairShareQueue(config.queueLimit ?? 10_000);
  }

  /**
   * `source`: who sent the finding (an agent identity); sources share the queue fairly.
   * `event`: stored for the first time, or reopened by a recurrence.
   */
  enqueue(finding: FindingView, source = "", event: "new" | "recurred" = "new"): void {
    if (this.closed) return;
    const admission = this.queue.push(source, { id: randomUUID(), finding, event, attempt: 0 });
    if (admission !== "queued") {
      this.count(admission);
      const lost = this.s.dropped + this.s.evicted;
      if (lost === 1 || lost % 1000 === 0) {
        this.logger.warn(
          { dropped: this.s.dropped, evicted: this.s.evicted, sources: this.queue.sourceCount },
          "webhook queue full: findings not posted (they are stored)",
        );
      }
    }
    if (admission !== "dropped") this.onChange(undefined, this.length);
    this.pump();
  }

  stats(): WebhookStats {
    return { ...this.s, queued: this.length };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.length > 0) this.logger.warn({ lost: this.length }, "webhook stopped with findings not posted");
  }

  private get length(): number {
    return this.queue.size + (this.current ? 1 : 0);
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const delivery = this.queue.shift();
    if (!delivery) return;
    this.current = delivery;
    this.send(delivery);
  }

  private send(delivery: Delivery): void {
    void this.attempt(delivery).then((result) => {
      if (this.closed) return;
      if (result === "ok" || result === "final" || ++delivery.attempt >= (this.config.maxAttempts ?? 8)) {
        this.current = undefined;
        this.retryDelay.reset();
        this.count(result === "ok" ? "delivered" : "failed");
        if (result !== "ok") this.logger.error({ id: delivery.finding.id, delivery: delivery.id }, "webhook gave up");
        this.pump();
        return;
      }
      this.count("retried");
      this.timer = setTimeout(() => this.send(delivery), this.retryDelay.next());
    });
  }

  private attempt(delivery: Delivery): Promise<"ok" | "retry" | "final"> {
    const sentAt = new Date();
    const body = JSON.stringify({
      type: `driftguard.finding.${delivery.event}`,
      deliveryId: delivery.id,
      sentAt: sentAt.toISOString(),
      finding: delivery.finding,
    });
    const transport = this.target.protocol === "https:" ? https : http;
    return new Promise((resolve) => {
      const req = transport.request(this.target, {
        method: "POST",
        timeout: this.config.timeoutMs ?? 10_000,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          "User-Agent": "driftguard-collector",
          [SIGNATURE_HEADER]: sign(this.config.secret, body),
          [TIMESTAMP_HEADER]: String(Math.floor(sentAt.getTime() / 1000)),
          [DELIVERY_HEADER]: delivery.id,
        },
      });
      const fail = (why: string, retry: boolean): void => {
        this.logger.warn({ id: delivery.finding.id, attempt: delivery.attempt + 1, why }, "webhook attempt failed");
        resolve(retry ? "retry" : "final");
      };
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", (error) => fail(error.message, true));
      req.on("response", (res) => {
        res.resume(); // the answer's body is not used
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) resolve("ok");
        else fail(`HTTP ${code}`, code === 408 || code === 429 || code >= 500);
      });
      req.end(body);
    });
  }

  private count(outcome: WebhookOutcome): void {
    this.s[outcome]++;
    this.onChange(outcome, this.length);
  }
}
