// The exec guard's decision latency as a Prometheus histogram. The native guard counts
// decisions in power-of-two microsecond buckets (GuardStats.latencyMicrosLog2: bucket i
// holds those under 2^i µs and at least 2^(i-1), the last one everything slower); prom-client's
// Histogram can only observe single values, so this metric exposes those counters as they
// are, cumulated, with le = 2^i µs in seconds.
import type { Metric } from "prom-client";

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

export class Log2LatencyHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number[] | undefined,
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    const counts = this.read() ?? [];
    const values: Sample[] = [];
    let cumulative = 0;
    let sum = 0;
    counts.forEach((count, i) => {
      cumulative += count;
      // The true sum is not counted natively; 3/4 of the bucket's bound (the middle of
      // [2^(i-1), 2^i)) keeps _sum/_count a fair mean for dashboards.
      sum += (count * 0.75 * 2 ** i) / 1e6;
      if (i < counts.length - 1) {
        values.push({ metricName: `${this.name}_bucket`, labels: { le: 2 ** i / 1e6 }, value: cumulative });
      }
    });
    values.push({ metricName: `${this.name}_bucket`, labels: { le: "+Inf" }, value: cumulative });
    values.push({ metricName: `${this.name}_sum`, labels: {}, value: sum });
    values.push({ metricName: `${this.name}_count`, labels: {}, value: cumulative });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** For Registry.registerMetric, which only reads name and get(). */
  asMetric(): Metric<string> {
    return this as unknown as Metric<string>;
  }
}
