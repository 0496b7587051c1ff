// The finding as a JSON log line: always on, whatever else is configured. One line per
// blocked or audited exec (not aggregated: the log is the node-local record), message "drift".
import type { Logger } from "../log/logger";
import type { DriftFinding } from "./DriftFinding";
import type { FindingOutput, OutputStats } from "./FindingOutput";

export class DriftLog implements FindingOutput {
  readonly name = "log";
  private written = 0;

  constructor(private readonly logger: Logger) {}

  write(finding: DriftFinding): void {
    this.written++;
    this.logger.warn({ finding }, "drift");
  }

  stats(): OutputStats {
    return { written: this.written, dropped: 0 };
  }

  async close(): Promise<void> {}
}
