// The agent's metrics, read from the components' own counters at scrape time (nothing on
// the exec path), except blocked and audited decisions, counted per finding because only
// findings carry their reason, and posture properties, counted apart.
import { Counter, Gauge, type Registry } from "prom-client";

import type { GuardStats } from "../native/binding";
import type { BpfCoverage, BpfSensorStats } from "../native/bpfBinding";
import type { PolicySourceStats } from "../policy/DirectoryPolicySource";
import type { DriftFinding } from "../report/DriftFinding";
import type { ReporterStats } from "../report/Reporter";
import type { FindingSink } from "../sink/FindingSink";
import { cumulativeCounter, single } from "./cumulative";
import { registerIgnoreMarkMetrics } from "./ignoreMarkMetrics";
import { Log2LatencyHistogram } from "./log2Histogram";

export interface AgentMetricSources {
  guard: () => GuardStats | undefined;
  /** undefined without --collector-address. */
  reporter?: () => ReporterStats;
  /** undefined without --policy-dir. */
  policies?: () => PolicySourceStats;
  layerCache: () => { hits: number; misses: number };
  ebpf?: () => { coverage: BpfCoverage; stats: BpfSensorStats } | undefined;
  canary?: () => { ok: boolean } | undefined;
}

export class AgentMetrics {
  private readonly decisions: Counter<"verdict" | "reason">;
  private readonly posture: Counter<"verdict" | "reason">;

  constructor(registry: Registry, s: AgentMetricSources) {
    const guard = <T>(read: (g: GuardStats) => T): T | undefined => {
      const stats = s.guard();
      return stats && read(stats);
    };
    this.decisions = cumulativeCounter(registry, {
      name: "driftguard_exec_decisions_total",
      help:
        "Exec decisions. verdict=allowed: reason host (a host process), image (an image layer file) or container " +
        "(decided by the container's rules: unchanged copies, allow lists, disabled mode); blocked and audited by drift reason.",
      labelNames: ["verdict", "reason"] as const,
      read: () =>
        guard((g) => [
          { labels: { verdict: "allowed", reason: "host" }, total: g.allowedHost },
          { labels: { verdict: "allowed", reason: "image" }, total: g.allowedImage },
          { labels: { verdict: "allowed", reason: "container" }, total: g.allowedContainer },
        ]),
    });
    this.posture = new Counter({
      name: "driftguard_posture_findings_total",
      help:
        "Container posture properties reported (posture_* reasons, judged at attach): verdict audited, or blocked " +
        "when posture.enforce stopped the container. Not exec decisions.",
      labelNames: ["verdict", "reason"] as const,
      registers: [registry],
    });
    registry.registerMetric(
      new Log2LatencyHistogram(
        "driftguard_exec_decision_latency_seconds",
        "Time from the kernel's exec event to the answer, in power-of-two buckets counted by the native guard.",
        () => s.guard()?.latencyMicrosLog2,
      ).asMetric(),
    );
    const counter = (name: string, help: string, read: (g: GuardStats) => number) =>
      cumulativeCounter(registry, { name, help, read: () => single(guard(read)) });
    counter("driftguard_exec_events_total", "Exec permission events the guard answered.", (g) => g.events);
    counter(
      "driftguard_watchdog_timeouts_total",
      "Execs answered by the watchdog with the fail mode because nobody decided before the deadline.",
      (g) => g.deadlineExceeded,
    );
    counter(
      "driftguard_exec_unverified_total",
      "Execs whose verdict needed the file's content and could not prove it in time (the container's policy answered).",
      (g) => g.unverified,
    );
    counter(
      "driftguard_exec_lease_refused_total",
      "Read leases refused on a file whose content decides: a writer had it open or mapped, or no right to a lease.",
      (g) => g.leaseRefused,
    );
    counter(
      "driftguard_finding_digests_skipped_total",
      "Drift findings sent without a digest because the queue of hashes after the answer was full.",
      (g) => g.findingHashesSkipped,
    );
    counter(
      "driftguard_proc_reads_abandoned_total",
      "Reads of a process's command line given up because the process held its memory map's lock (findings go without it).",
      (g) => g.procReadsAbandoned,
    );
    counter("driftguard_exec_held_total", "Execs held until their container was attached.", (g) => g.heldTotal);
    counter("driftguard_exec_hold_overflow_total", "Execs answered because too many were held.", (g) => g.holdOverflow);
    counter(
      "driftguard_hash_cache_hits_total",
      "Exec-time hashes answered from the hash cache.",
      (g) => g.hashCacheHits,
    );
    counter("driftguard_hash_cache_misses_total", "Exec-time hashes computed.", (g) => g.hashCacheMisses);
    counter(
      "driftguard_verdicts_dropped_total",
      "Blocked or audited decisions not delivered to JavaScript (it lagged): they are in no finding.",
      (g) => g.verdictsDropped,
    );
    const gauge = (name: string, help: string, read: () => number | undefined) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const value = read();
          if (value !== undefined) this.set(value);
        },
      });
    gauge("driftguard_exec_pending", "Execs waiting for a decision now.", () => guard((g) => g.pendingNow));
    gauge("driftguard_exec_held", "Execs held now for containers not attached yet.", () => guard((g) => g.heldNow));
    gauge("driftguard_containers_attached", "Containers in the decision tables.", () => guard((g) => g.containers));
    gauge("driftguard_images", "Image baselines in the decision tables.", () => guard((g) => g.images));
    gauge("driftguard_marks", "fanotify filesystem marks.", () => guard((g) => g.marks));
    registerIgnoreMarkMetrics(registry, s.guard);
    const canaryOk = () => (s.canary?.()?.ok ? 1 : 0);
    gauge("driftguard_exec_canary_ok", "1 while the last exec canary saw a staged drift exec refused.", canaryOk);
    cumulativeCounter(registry, {
      name: "driftguard_baseline_layer_cache_total",
      help: "Image layer manifests looked up in the on-disk baseline cache, by result (hit: no hashing needed).",
      labelNames: ["result"] as const,
      read: () => {
        const c = s.layerCache();
        return [
          { labels: { result: "hit" }, total: c.hits },
          { labels: { result: "miss" }, total: c.misses },
        ];
      },
    });
    if (s.ebpf) this.ebpfMetrics(registry, s.ebpf);
    if (s.reporter) this.reporterMetrics(registry, s.reporter);
    if (s.policies) this.policyMetrics(registry, s.policies);
  }

  /** Counts every blocked or audited exec (and posture property) by verdict and reason: one of the agent's sinks. */
  readonly findingCounter: FindingSink<DriftFinding> = (() => {
    let written = 0;
    return {
      name: "metrics",
      write: (finding: DriftFinding) => {
        written++;
        (finding.posture ? this.posture : this.decisions).inc({ verdict: finding.verdict, reason: finding.reason });
      },
      stats: () => ({ written, dropped: 0 }),
      close: async () => undefined,
    };
  })();

  private ebpfMetrics(registry: Registry, read: NonNullable<AgentMetricSources["ebpf"]>): void {
    new Gauge({
      name: "driftguard_ebpf_coverage",
      help:
        "What the eBPF sensor covers on this node (1 yes, 0 no): built (the addon has the sensor), " +
        "fileless_detected and unwatched_stopped (fileless execs and execs from filesystems mounted after " +
        "attach: stopped in enforce, killed before their first instruction by the tracepoint or refused by " +
        "BPF LSM), interpreter_checked (the file a new program starts in is judged too), fileless_blocked " +
        "and library_blocked (refused with EPERM: BPF LSM). The log line at start says why something is not covered.",
      labelNames: ["capability"] as const,
      registers: [registry],
      collect() {
        const coverage = read()?.coverage;
        const set = (capability: string, on: boolean) => this.set({ capability }, on ? 1 : 0);
        set("built", coverage?.built ?? false);
        set("fileless_detected", (coverage?.tracepoint || coverage?.lsm) ?? false);
        set("unwatched_stopped", (coverage?.tracepoint || coverage?.lsm) ?? false);
        set("interpreter_checked", coverage?.entryChecked ?? false);
        set("fileless_blocked", coverage?.lsm ?? false);
        set("library_blocked", coverage?.lsm ?? false);
      },
    });
    const stat = (name: string, help: string, pick: (s: BpfSensorStats) => number) =>
      cumulativeCounter(registry, {
        name,
        help,
        read: () => {
          const ebpf = read();
          return single(ebpf && pick(ebpf.stats));
        },
      });
    stat(
      "driftguard_ebpf_events_lost_total",
      "eBPF findings lost: the kernel ring buffer was full, or JavaScript lagged behind the reader.",
      (s) => s.ringbufFull + s.findingsDropped,
    );
    stat(
      "driftguard_ebpf_copies_trusted_total",
      "Executable mappings of copied-up image files allowed because no one wrote them since the agent watched.",
      (s) => s.copiesTrusted,
    );
    stat(
      "driftguard_ebpf_write_marks_total",
      "Overlay files remembered as opened for write or truncated (their copies need the agent's hash).",
      (s) => s.writtenMarks,
    );
    stat(
      "driftguard_ebpf_killed_total",
      "New programs the eBPF sensor stopped with SIGKILL before their first instruction (enforce).",
      (s) => s.killed,
    );
    stat(
      "driftguard_ebpf_unwatched_execs_total",
      "Execs in containers from filesystems fanotify does not watch (mounted after attach), any mode.",
      (s) => s.unwatched,
    );
    new Gauge({
      name: "driftguard_ebpf_watched_filesystems",
      help: "Filesystems whose execs fanotify decides, as the eBPF sensor knows them (marks and container roots).",
      registers: [registry],
      collect() {
        this.set(read()?.stats.watchedFilesystems ?? 0);
      },
    });
    stat(
      "driftguard_ebpf_write_marks_lost_total",
      "Write marks that did not fit the kernel map; after the first, no copy is trusted without a hash.",
      (s) => s.writtenLost,
    );
  }

  private reporterMetrics(registry: Registry, read: () => ReporterStats): void {
    new Gauge({
      name: "driftguard_spool_pending_findings",
      help: "Findings in the on-disk spool not yet acknowledged by the collector.",
      registers: [registry],
      collect() {
        this.set(read().spool.pending);
      },
    });
    new Gauge({
      name: "driftguard_spool_bytes",
      help: "Bytes the spool uses on disk.",
      registers: [registry],
      collect() {
        this.set(read().spool.bytes);
      },
    });
    new Gauge({
      name: "driftguard_collector_connected",
      help: "1 while the stream to the collector delivers.",
      registers: [registry],
      collect() {
        this.set(read().stream.connected ? 1 : 0);
      },
    });
    cumulativeCounter(registry, {
      name: "driftguard_findings_dropped_total",
      help: "Findings lost on the way to the collector, by reason: spool_full, invalid, rejected (by the collector).",
      labelNames: ["reason"] as const,
      read: () => {
        const r = read();
        return [
          { labels: { reason: "spool_full" }, total: r.spool.droppedFull },
          { labels: { reason: "invalid" }, total: r.invalid },
          { labels: { reason: "rejected" }, total: r.stream.rejected },
        ];
      },
    });
    cumulativeCounter(registry, {
      name: "driftguard_findings_delivered_total",
      help: "Findings the collector acknowledged.",
      read: () => single(read().stream.findingsAcked),
    });
  }

  private policyMetrics(registry: Registry, read: () => PolicySourceStats): void {
    cumulativeCounter(registry, {
      name: "driftguard_policy_loads_total",
      help: "Loads of the policy directory, by result (rejected: errors, the last good set stayed in force).",
      labelNames: ["result"] as const,
      read: () => {
        const p = read();
        return [
          { labels: { result: "applied" }, total: p.loads - p.rejectedLoads },
          { labels: { result: "rejected" }, total: p.rejectedLoads },
        ];
      },
    });
    new Gauge({
      name: "driftguard_policy_errors",
      help: "Errors of the last policy load (0 when it was applied cleanly).",
      registers: [registry],
      collect() {
        this.set(read().lastErrors);
      },
    });
    new Gauge({
      name: "driftguard_policies",
      help: "Policies in force.",
      registers: [registry],
      collect() {
        this.set(read().policies);
      },
    });
  }
}
