// What the agent does with a verdict's capture: counts its outcome, says in the log why a
// sample was not kept (too large, changed, ...), and stores captured bytes in the spool.
// The bytes never travel with the finding. [JS thread]
import type { Logger } from "../../log/logger";
import type { VerdictRecord } from "../../native/binding";
import { SAMPLE_CAPTURES, type SampleCapture } from "../../native/sampleCapture";
import type { SampleSpool } from "./SampleSpool";

const WHY: Partial<Record<SampleCapture, string>> = {
  too_large: "larger than the policy's capture.maxBytes",
  changed: "the file changed after the verdict: its bytes no longer hash to the finding's digest",
  unreadable: "the file could not be read after the verdict (gone, or shorter)",
  busy: "the queue after the answer or the bytes in flight were full",
};

export class SampleKeeper {
  private readonly captures = Object.fromEntries(SAMPLE_CAPTURES.map((c) => [c, 0])) as Record<SampleCapture, number>;

  constructor(
    readonly spool: SampleSpool,
    private readonly logger: Logger,
  ) {}

  /** Takes the record's capture (and removes its bytes from it). */
  keep(record: VerdictRecord): void {
    const capture = record.capture ?? "off";
    const sample = record.sample;
    delete record.sample;
    if (capture === "off") return;
    this.captures[capture]++;
    const context = { container: record.containerId, path: record.path, sha256: record.sha256, capture };
    if (capture !== "captured" || !sample) {
      this.logger.info({ ...context, why: WHY[capture] }, "sample not captured");
      return;
    }
    this.spool.put(record.sha256, sample);
  }

  /** Captures by outcome since start (the native side's: captured, too_large, ...). */
  stats(): Record<SampleCapture, number> {
    return { ...this.captures };
  }
}
