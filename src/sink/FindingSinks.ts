// The sinks of one process, written in registration order. A sink that throws despite its
// contract loses that finding (counted and logged), never the others'.
import type { Logger } from "../log/logger";
import type { FindingSink, SinkStats } from "./FindingSink";

export class FindingSinks<F> {
  private readonly sinks: FindingSink<F>[] = [];
  private readonly failures = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  add(sink: FindingSink<F>): void {
    this.sinks.push(sink);
  }

  get size(): number {
    return this.sinks.length;
  }

  write(finding: F): void {
    for (const sink of this.sinks) {
      try {
        sink.write(finding);
      } catch (error) {
        const failures = (this.failures.get(sink.name) ?? 0) + 1;
        this.failures.set(sink.name, failures);
        if (failures === 1 || failures % 1000 === 0) {
          this.logger.error({ sink: sink.name, failures, err: error }, "finding sink threw; finding lost for it");
        }
      }
    }
  }

  /** Per sink, by name; a throw counts as a drop. */
  stats(): Record<string, SinkStats> {
    const out: Record<string, SinkStats> = {};
    for (const sink of this.sinks) {
      const s = sink.stats();
      out[sink.name] = { written: s.written, dropped: s.dropped + (this.failures.get(sink.name) ?? 0) };
    }
    return out;
  }

  /** Closes every sink, also when one fails to. */
  async close(): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.close();
      } catch (error) {
        this.logger.error({ sink: sink.name, err: error }, "finding sink failed to close");
      }
    }
  }
}
