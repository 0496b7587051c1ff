// The finding as a JSON log line: always on, whatever else is configured. One line per
// blocked or audited exec, message "drift".
import type { Logger } from "../log/logger";
import type { DriftFinding } from "./DriftFinding";

export class DriftLog {
  constructor(private readonly logger: Logger) {}

  write(finding: DriftFinding): void {
    this.logger.warn({ finding }, "drift");
  }
}
