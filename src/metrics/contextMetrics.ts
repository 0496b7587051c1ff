// The investigation context's own misses (issue 16): findings sent without a lineage
// (over its budget), writes the write tracking missed (the kernel's queue overflowed) and
// writers that had exited before their program was read. Read at scrape time.
import type { Registry } from "prom-client";

import type { WriteTrackerStats } from "../native/writeTrackerBinding";
import { cumulativeCounter, single } from "./cumulative";

export interface ContextMetricSources {
  lineage: () => { read: number; skipped: number };
  /** undefined when write tracking is off or unavailable. */
  writes: () => WriteTrackerStats | undefined;
}

export function registerContextMetrics(registry: Registry, s: ContextMetricSources): void {
  const counter = (name: string, help: string, read: () => number | undefined) =>
    cumulativeCounter(registry, { name, help, read: () => single(read()) });
  counter(
    "driftguard_finding_lineage_skipped_total",
    "Findings sent without a lineage because more than its budget per second arrived.",
    () => s.lineage().skipped,
  );
  counter(
    "driftguard_write_events_overflow_total",
    "Times the kernel's queue of write events overflowed: writes of that moment name no writer.",
    () => s.writes()?.overflows,
  );
  counter(
    "driftguard_write_writer_gone_total",
    "Writers that had exited before their program was read: their files name a pid and a time only.",
    () => s.writes()?.writerGone,
  );
  counter(
    "driftguard_write_files_evicted_total",
    "Files forgotten by the write tracking's bounded table.",
    () => s.writes()?.evicted,
  );
}
