// Counters read from components that keep their own running totals (the native guard, the
// spool, the policy source): at each scrape the increase since the previous scrape is added,
// so Prometheus sees a real counter (rate() works) without a second source of truth.
import { Counter, type Registry } from "prom-client";

export interface CumulativeSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Current totals per label set; undefined while the source is not up. */
  read: () => { labels: Partial<Record<L, string>>; total: number }[] | undefined;
}

export function cumulativeCounter<L extends string>(registry: Registry, spec: CumulativeSpec<L>): Counter<L> {
  const seen = new Map<string, number>();
  return new Counter<L>({
    name: spec.name,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    registers: [registry],
    collect() {
      for (const { labels, total } of spec.read() ?? []) {
        const key = JSON.stringify(labels);
        const delta = total - (seen.get(key) ?? 0);
        // A source that restarted from zero: count its new total from there.
        const add = delta >= 0 ? delta : total;
        seen.set(key, total);
        if (add > 0) this.inc(labels, add);
        else this.inc(labels, 0);
      }
    },
  });
}

/** One unlabelled total. */
export function single(total: number | undefined): { labels: Record<string, never>; total: number }[] | undefined {
  return total === undefined ? undefined : [{ labels: {}, total }];
}
