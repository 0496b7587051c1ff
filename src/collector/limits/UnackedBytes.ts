// Backpressure for WatchFindings. A server stream's write() queues in memory whatever the
// reader has not taken yet (HTTP/2 flow control holds the rest back), so a reader that
// stops reading would otherwise let the collector buffer every new finding for it. Each
// caller gets a budget of bytes written and not yet handed to the network; its streams
// wait for the budget before sending more, and the watch continues where it stopped once
// the reader catches up (the store is the buffer, not memory).
export class UnackedBytes {
  private readonly callers = new Map<string, CallerBudget>();
  private total = 0;

  constructor(
    readonly perCaller: number,
    /** Bytes not yet acknowledged over every caller (metrics). */
    private readonly onTotal: (bytes: number) => void = () => undefined,
  ) {}

  /** The ledger of one stream of `key`'s; close() it when the stream ends. */
  stream(key: string): WatchLedger {
    let budget = this.callers.get(key);
    if (!budget) this.callers.set(key, (budget = { bytes: 0, streams: 0, waiters: new Set() }));
    budget.streams++;
    return new WatchLedger(budget, this.perCaller, (delta) => {
      this.total += delta;
      this.onTotal(this.total);
      if (budget.streams === 0 && budget.bytes === 0) this.callers.delete(key);
    });
  }

  /** Bytes not yet acknowledged for `key` (tests). */
  unacked(key: string): number {
    return this.callers.get(key)?.bytes ?? 0;
  }
}

interface CallerBudget {
  bytes: number;
  streams: number;
  waiters: Set<() => void>;
}

export class WatchLedger {
  private outstanding = 0;
  private closed = false;

  constructor(
    private readonly budget: CallerBudget,
    private readonly limit: number,
    private readonly onChange: (delta: number) => void,
  ) {}

  /** Whether the caller may be sent more now. */
  get ready(): boolean {
    return this.closed || this.budget.bytes < this.limit;
  }

  /** Counts `bytes` as sent; call the returned function when the network took them. */
  sent(bytes: number): () => void {
    this.change(bytes);
    let acked = false;
    return () => {
      if (acked || this.closed) return;
      acked = true;
      this.change(-bytes);
      for (const wake of [...this.budget.waiters]) wake();
    };
  }

  /** Resolves when the caller's budget allows more, or the stream ended. */
  whenReady(): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        if (!this.ready) return;
        this.budget.waiters.delete(wake);
        resolve();
      };
      this.budget.waiters.add(wake);
      wake();
    });
  }

  /** The stream ended: what it still had outstanding no longer counts (a cancelled call never acknowledges). */
  close(): void {
    if (this.closed) return;
    this.budget.streams--;
    this.change(-this.outstanding);
    this.closed = true;
    for (const wake of [...this.budget.waiters]) wake();
  }

  private change(delta: number): void {
    this.outstanding += delta;
    this.budget.bytes += delta;
    this.onChange(delta);
  }
}
