// The webhook's queue, shared fairly between the agents whose findings fill it: one FIFO
// per source (an agent identity), taken from in turn, so that one node's flood neither
// delays the other nodes' notifications nor crowds them out. When the queue is full, a
// source holding less than its fair share (limit / sources) takes a place from a source
// holding more (whose newest entry is dropped); a source at its share has its new entries
// dropped. So each of n sources can always hold limit/n entries, whatever the others send.
export type Admission = "queued" | "dropped" | "evicted";

export class FairShareQueue<T> {
  /** Sources in turn order; each with its entries, oldest first. */
  private readonly sources = new Map<string, T[]>();
  private count = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  /** Sources with entries waiting. */
  get sourceCount(): number {
    return this.sources.size;
  }

  /** queued; dropped (the queue is full and the source has its share); evicted (queued, and a source over its share lost its newest). */
  push(source: string, item: T): Admission {
    let admission: Admission = "queued";
    if (this.count >= this.limit) {
      const share = this.limit / (this.sources.size + (this.sources.has(source) ? 0 : 1));
      if (this.waiting(source) + 1 > share) return "dropped";
      const over = this.overShare(share);
      if (!over) return "dropped";
      over.pop();
      this.count--;
      admission = "evicted";
    }
    let entries = this.sources.get(source);
    if (!entries) this.sources.set(source, (entries = []));
    entries.push(item);
    this.count++;
    return admission;
  }

  /** The next entry, round robin over the sources. */
  shift(): T | undefined {
    const next = this.sources.entries().next();
    if (next.done) return undefined;
    const [source, entries] = next.value;
    const item = entries.shift();
    this.count--;
    // To the back of the turn order (or gone when empty).
    this.sources.delete(source);
    if (entries.length > 0) this.sources.set(source, entries);
    return item;
  }

  /** How many entries a source has waiting. */
  waiting(source: string): number {
    return this.sources.get(source)?.length ?? 0;
  }

  /** A source holding more than `share` (one exists when a full queue has a source under it). */
  private overShare(share: number): T[] | undefined {
    for (const entries of this.sources.values()) if (entries.length > share) return entries;
    return undefined;
  }
}
