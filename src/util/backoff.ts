// Retry delays: exponential with jitter, so that the agents of many nodes do not all hit a
// restarted containerd or collector, nor collectors a webhook, at the same instant. The
// jitter keeps half of the bound ("equal jitter"): a retry never comes sooner than half
// the exponential delay, as full jitter (uniform from 0) would allow.

export interface BackoffOptions {
  /** First delay. Default 250 ms. */
  initialMs?: number;
  /** Cap. Default 5 s. */
  maxMs?: number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = Math.max(options.maxMs ?? 5000, this.initialMs);
  }

  /** The next delay: initial·2^n capped at max, then scaled by a random factor in [0.5, 1]. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(ceiling * (0.5 + this.random() / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
