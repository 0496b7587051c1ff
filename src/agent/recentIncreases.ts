// How much a cumulative counter grew over a recent window: the agent's health treats a
// watchdog answer or a dropped finding as a present problem for a while, then forgets it
// (the counters themselves only grow). Sampled whenever the health is judged (every
// heartbeat, /readyz probe and scrape), so the window's edge has that grain.

interface Sample {
  atMs: number;
  total: number;
}

export interface RecentIncrease {
  /** Growth within the window. */
  count: number;
  /** When growth was last seen (0: none in the window). */
  lastMs: number;
}

export class RecentIncreases {
  private readonly samples = new Map<string, Sample[]>();

  constructor(readonly windowMs: number) {}

  /** Records the counter's total now (counters start at 0 with the agent); its growth over the window. */
  observe(name: string, total: number, nowMs: number): RecentIncrease {
    let list = this.samples.get(name);
    // A counter below its last total was reset (a restarted component): counted from 0 again.
    if (!list || total < list[list.length - 1].total) this.samples.set(name, (list = [{ atMs: nowMs, total: 0 }]));
    if (total > list[list.length - 1].total) list.push({ atMs: nowMs, total });
    // The first sample is the baseline: the newest at or before the window's start, or the agent's 0.
    while (list.length > 1 && list[1].atMs <= nowMs - this.windowMs) list.shift();
    const newest = list[list.length - 1];
    return { count: newest.total - list[0].total, lastMs: list.length > 1 ? newest.atMs : 0 };
  }
}
