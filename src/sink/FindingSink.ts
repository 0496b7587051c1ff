// Where findings go, on the agent (JSON log, collector stream, metrics) and on the
// collector (webhook): falco's outputs. A sink gets every finding, never throws and never
// blocks the caller (the agent's verdict callback, the collector's ingest): whatever is
// slow sits behind a bounded queue of the sink's own, and whatever does not fit is dropped
// and counted. Sinks are registered in one place per process (agent/agentSinks.ts,
// collector/collectorSinks.ts).

export interface SinkStats {
  /** Findings accepted. */
  written: number;
  /** Findings this sink lost, for any reason; each reason is also logged. */
  dropped: number;
}

export interface FindingSink<F> {
  readonly name: string;
  write(finding: F): void;
  stats(): SinkStats;
  /** Flushes what can be flushed without waiting on the network; idempotent. */
  close(): Promise<void>;
}
