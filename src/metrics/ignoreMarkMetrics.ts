// The exec fast path's metrics: fanotify ignore marks now, their limit, and what happened to
// them (native/README.md, "Exec ignore marks"). Read from the guard's counters at scrape time.
import { Gauge, type Registry } from "prom-client";

import type { GuardStats } from "../native/binding";
import { cumulativeCounter } from "./cumulative";

export function registerIgnoreMarkMetrics(registry: Registry, guard: () => GuardStats | undefined): void {
  const gauge = (name: string, help: string, read: (g: GuardStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const stats = guard();
        if (stats) this.set(read(stats));
      },
    });
  gauge(
    "driftguard_exec_ignore_marks",
    "Image layer files whose execs raise no fanotify event now (exec ignore marks).",
    (g) => g.ignoreMarks,
  );
  gauge(
    "driftguard_exec_ignore_mark_limit",
    "Exec ignore marks at most; 0: the fast path is off.",
    (g) => g.ignoreMarkLimit,
  );
  gauge(
    "driftguard_exec_ignore_marks_paused",
    "1 while a container start keeps exec ignore marks paused (flushed, none added) until it is attached.",
    (g) => (g.ignoreMarksPaused ? 1 : 0),
  );
  gauge(
    "driftguard_container_runtime_binaries_watched",
    "OCI runtime binaries (runc, crun) whose execs pause the exec ignore marks; 0 with marks on: they stay paused.",
    (g) => g.runtimesWatched,
  );
  cumulativeCounter(registry, {
    name: "driftguard_exec_ignore_mark_pauses_total",
    help:
      "Exec ignore mark pauses: runtime (execs of runc/crun), pause (all pauses, also flushes by a policy " +
      "change), resume (marks came back).",
    labelNames: ["event"] as const,
    read: () => {
      const g = guard();
      return (
        g && [
          { labels: { event: "runtime" }, total: g.runtimeExecs },
          { labels: { event: "pause" }, total: g.ignoreMarkPauses },
          { labels: { event: "resume" }, total: g.ignoreMarkResumes },
        ]
      );
    },
  });
  cumulativeCounter(registry, {
    name: "driftguard_exec_ignore_mark_events_total",
    help:
      "Exec ignore marks by what happened: added, evicted (the oldest, for room), flush (all removed: a policy " +
      "that denies more, or an eviction that failed), failed (the kernel refused a mark).",
    labelNames: ["event"] as const,
    read: () => {
      const g = guard();
      return (
        g && [
          { labels: { event: "added" }, total: g.ignoreMarksAdded },
          { labels: { event: "evicted" }, total: g.ignoreMarkEvictions },
          { labels: { event: "flush" }, total: g.ignoreMarkFlushes },
          { labels: { event: "failed" }, total: g.ignoreMarkFailures },
        ]
      );
    },
  });
}
