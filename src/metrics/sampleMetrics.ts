// Sample capture on the agent (policy capture.maxBytes): what became of each capture, what
// the node's spool kept or dropped, what it holds now, and the uploads. Read at scrape time.
import { Gauge, type Registry } from "prom-client";

import type { SampleKeeper } from "../agent/samples/SampleKeeper";
import type { SampleUploaderStats } from "../report/SampleUploader";
import { cumulativeCounter } from "./cumulative";

export interface SampleMetricSources {
  keeper: () => SampleKeeper | undefined;
  /** undefined without a collector. */
  uploads: () => SampleUploaderStats | undefined;
}

export function registerSampleMetrics(registry: Registry, s: SampleMetricSources): void {
  const byLabel = <L extends string>(label: L, totals: Record<string, number> | undefined) =>
    totals &&
    Object.entries(totals).map(([value, total]) => ({ labels: { [label]: value } as Record<L, string>, total }));
  cumulativeCounter(registry, {
    name: "driftguard_agent_samples_total",
    help: "Drift files the policy asked to capture, by outcome: captured, too_large, changed, unreadable, busy.",
    labelNames: ["outcome"],
    read: () => byLabel("outcome", s.keeper()?.stats()),
  });
  cumulativeCounter(registry, {
    name: "driftguard_agent_sample_spool_total",
    help: "Captured samples handed to the node's spool, by outcome: stored, duplicate, and the drops spool_full, mismatch, write_failed.",
    labelNames: ["outcome"],
    read: () => byLabel("outcome", s.keeper()?.spool.stats().outcomes),
  });
  cumulativeCounter(registry, {
    name: "driftguard_agent_sample_uploads_total",
    help: "Samples offered to the collector, by its answer: uploaded (bytes sent), stored, have (already there), refused, later.",
    labelNames: ["answer"],
    read: () => {
      const u = s.uploads();
      return (
        u &&
        byLabel("answer", { uploaded: u.uploaded, stored: u.stored, have: u.have, refused: u.refused, later: u.later })
      );
    },
  });
  new Gauge({
    name: "driftguard_agent_sample_spool_bytes",
    help: "Bytes of samples the node holds until the collector has them.",
    registers: [registry],
    collect() {
      this.set(s.keeper()?.spool.stats().bytes ?? 0);
    },
  });
}
