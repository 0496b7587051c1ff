// The finding as a JSON log line: always on, whatever else is configured. One line per
// blocked or audited exec (not aggregated: the log is the node-local record), message
// "drift"; one per posture property of a container (judged at attach), message "posture".
// No queue of its own: pino's stream is the buffer, and the node-local record drops nothing.
import type { Logger } from "../log/logger";
import type { FindingSink, SinkStats } from "../sink/FindingSink";
import type { DriftFinding } from "./DriftFinding";

export class DriftLog implements FindingSink<DriftFinding> {
  readonly name = "log";
  private written = 0;

  constructor(private readonly logger: Logger) {}

  write(finding: DriftFinding): void {
    this.written++;
    this.logger.warn({ finding }, finding.posture ? "posture" : "drift");
  }

  stats(): SinkStats {
    return { written: this.written, dropped: 0 };
  }

  async close(): Promise<void> {}
}
