// Where findings go. Every output gets every blocked or audited exec, must never throw and
// never block the caller (the agent's verdict callback): whatever is slow is queued, and
// whatever cannot be queued is counted.
import type { DriftFinding } from "./DriftFinding";

export interface OutputStats {
  /** Findings accepted. */
  written: number;
  /** Findings this output lost, for any reason; each reason is also logged. */
  dropped: number;
}

export interface FindingOutput {
  readonly name: string;
  write(finding: DriftFinding): void;
  stats(): OutputStats;
  /** Flushes what can be flushed without waiting on the network; idempotent. */
  close(): Promise<void>;
}
