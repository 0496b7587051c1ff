// The collector's metrics: ingest (findings received, stored by verdict and reason, batch
// latency), agent streams and agents by liveness, auth failures and agent identity
// refusals, reloads of trusted files, live watchers, the per-caller bounds (streams
// refused, watch bytes not yet taken, pages cut short) and the webhook's queue. Counted
// where it happens (AgentService, Authenticator, web API, webhook), read from the store
// for the agents.
import { Counter, Gauge, Histogram, collectDefaultMetrics, Registry } from "prom-client";

import type { DriftReason } from "../domain/driftReason";
import type { Verdict } from "../domain/verdict";

export class CollectorMetrics {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: "driftguard_collector_findings_received_total",
    help: "Findings in batches the collector stored (new ones and count updates); rate() of it is the ingest rate.",
    registers: [this.registry],
  });
  readonly sampleAnswers = new Counter({
    name: "driftguard_collector_sample_answers_total",
    help: "Answers to agents' sample offers and uploads: send (bytes asked for), have, stored, refused, later.",
    labelNames: ["answer"],
    registers: [this.registry],
  });
  readonly stored = new Counter({
    name: "driftguard_collector_findings_stored_total",
    help: "Findings stored for the first time, by verdict and reason.",
    labelNames: ["verdict", "reason"] as const,
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: "driftguard_collector_ingest_batch_seconds",
    help: "Time to store one batch of findings (the agent's ack waits for it).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly streams = new Gauge({
    name: "driftguard_collector_agent_streams",
    help: "Agent Report streams open now.",
    registers: [this.registry],
  });
  readonly heartbeats = new Counter({
    name: "driftguard_collector_heartbeats_total",
    help: "Agent heartbeats received.",
    registers: [this.registry],
  });
  readonly authFailures = new Counter({
    name: "driftguard_collector_auth_failures_total",
    help: "Calls refused by authentication or authorization, by front end (grpc, web) and code.",
    labelNames: ["api", "code"] as const,
    registers: [this.registry],
  });
  readonly watchers = new Gauge({
    name: "driftguard_collector_live_watchers",
    help: "Open WatchFindings streams and review pages receiving live updates.",
    labelNames: ["api"] as const,
    registers: [this.registry],
  });
  readonly agentRefusals = new Counter({
    name: "driftguard_collector_agent_refusals_total",
    help: "Agent streams or reports refused by identity, by reason (expired, wrong_audience, foreign_node, revoked...).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: "driftguard_collector_reloads_total",
    help: "Changed trusted files (tls, tokens, jwks, revocations) re-read while running, by result: applied or rejected.",
    labelNames: ["what", "result"] as const,
    registers: [this.registry],
  });
  readonly issuerKeys = new Gauge({
    name: "driftguard_collector_issuer_keys",
    help: "Signing keys of the cluster's issuer that agent tokens are checked with.",
    registers: [this.registry],
  });
  readonly streamsRefused = new Counter({
    name: "driftguard_collector_streams_refused_total",
    help: "Streams refused (watch) or oldest streams replaced (agent, samples) because their caller had the most it may open, by api.",
    labelNames: ["api"] as const,
    registers: [this.registry],
  });
  readonly streamsRevoked = new Counter({
    name: "driftguard_collector_streams_revoked_total",
    help: "Open streams ended because their caller was revoked or its token withdrawn.",
    registers: [this.registry],
  });
  readonly watchUnackedBytes = new Gauge({
    name: "driftguard_collector_watch_unacked_bytes",
    help: "Bytes sent to WatchFindings streams that their readers have not taken yet (bounded per caller).",
    registers: [this.registry],
  });
  readonly watchWaits = new Counter({
    name: "driftguard_collector_watch_waits_total",
    help: "Times a WatchFindings stream waited for a slow reader instead of buffering more.",
    registers: [this.registry],
  });
  readonly pagesCut = new Counter({
    name: "driftguard_collector_pages_cut_total",
    help: "Pages of findings ended before their page size because of the byte bound, by api: grpc, web.",
    labelNames: ["api"] as const,
    registers: [this.registry],
  });
  readonly webhook = new Counter({
    name: "driftguard_collector_webhook_deliveries_total",
    help: "Webhook POSTs by outcome: delivered, retried (a failed attempt), failed (gave up), dropped (queue full), evicted (dropped to make room for a node under its fair share).",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly webhookQueue = new Gauge({
    name: "driftguard_collector_webhook_queue",
    help: "Findings waiting to be posted to the webhook.",
    registers: [this.registry],
  });

  constructor(agents: () => Promise<{ live: number; silent: number; byStatus: Record<string, number> }>) {
    collectDefaultMetrics({ register: this.registry, prefix: "driftguard_collector_" });
    // One read of the agents serves both gauges of a scrape.
    let pending: ReturnType<typeof agents> | undefined;
    const read = () => (pending ??= agents().finally(() => setImmediate(() => (pending = undefined))));
    new Gauge({
      name: "driftguard_collector_agents",
      help: "Agents known from their heartbeats, by state: live, or silent (no heartbeat within its interval).",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        const counts = await read();
        this.set({ state: "live" }, counts.live);
        this.set({ state: "silent" }, counts.silent);
      },
    });
    new Gauge({
      name: "driftguard_collector_agents_by_status",
      help:
        "Agents by the status the collector shows: what their last heartbeat said (starting, enforcing, auditing, " +
        "disabled, degraded), silent (no heartbeat within its interval) or unknown (an agent that does not say).",
      labelNames: ["status"] as const,
      registers: [this.registry],
      async collect() {
        const { byStatus } = await read();
        for (const [status, n] of Object.entries(byStatus)) this.set({ status }, n);
      },
    });
  }

  onIngest(received: number, ms: number, inserted: { verdict: Verdict; reason: DriftReason }[]): void {
    this.received.inc(received);
    this.batchSeconds.observe(ms / 1000);
    for (const f of inserted) this.stored.inc({ verdict: f.verdict, reason: f.reason });
  }
}
