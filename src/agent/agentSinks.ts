// The one place the agent's finding sinks are registered, in the order each finding is
// written to them. Adding an output is a FindingSink (src/sink/FindingSink.ts) and a line here.
import { componentLogger } from "../log/logger";
import type { DriftFinding } from "../report/DriftFinding";
import { DriftLog } from "../report/DriftLog";
import type { Reporter } from "../report/Reporter";
import type { FindingSink } from "../sink/FindingSink";
import type { FindingSinks } from "../sink/FindingSinks";

export interface AgentSinkOptions {
  /** The collector stream, with --collector-address. */
  reporter?: Reporter;
  /** The metrics' counter, with --metrics-address. */
  metrics?: FindingSink<DriftFinding>;
}

export function registerAgentSinks(sinks: FindingSinks<DriftFinding>, o: AgentSinkOptions): void {
  // The JSON log line, always: the node-local record.
  sinks.add(new DriftLog(componentLogger("findings")));
  // Aggregated, spooled on disk (bounded, drops counted) and streamed to the collector.
  if (o.reporter) sinks.add(o.reporter);
  // driftguard_exec_decisions_total for blocked and audited execs.
  if (o.metrics) sinks.add(o.metrics);
}
