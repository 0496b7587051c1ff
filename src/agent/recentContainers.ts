// Containers that went, kept a while for the verdicts still on their way: a short-lived
// container (a Job's pod, a drop-and-exit) has often exited before its drift finding reaches
// the agent's JavaScript thread, and that finding must still name its pod, namespace and
// image. Bounded in count and in time.
export class RecentContainers<T> {
  private readonly gone = new Map<string, { value: T; goneMs: number }>();

  constructor(
    private readonly capacity = 4096,
    private readonly keepMs = 10 * 60_000,
  ) {}

  remember(key: string, value: T, nowMs = Date.now()): void {
    this.gone.delete(key); // re-inserted as the newest
    this.gone.set(key, { value, goneMs: nowMs });
    for (const oldest of this.gone.keys()) {
      if (this.gone.size <= this.capacity) break;
      this.gone.delete(oldest);
    }
  }

  get(key: string, nowMs = Date.now()): T | undefined {
    const entry = this.gone.get(key);
    if (!entry) return undefined;
    if (nowMs - entry.goneMs <= this.keepMs) return entry.value;
    this.gone.delete(key);
    return undefined;
  }

  forget(key: string): void {
    this.gone.delete(key);
  }

  get size(): number {
    return this.gone.size;
  }
}
