// Keeps a layer walk's records in tree order although files are hashed out of order on
// the thread pool: each record takes its place when the walk reaches it and reaches the
// sink once everything before it has. The walk waits while too many places are open, so
// memory stays bounded by MAX_OPEN whatever the layer holds.
import type { ManifestRecord } from "./manifestRecords";
import type { RecordSink } from "./manifestStore";

/** Places open (waiting for a hash, or behind one) before the walk waits. */
const MAX_OPEN = 4096;

interface Place {
  record: ManifestRecord | undefined;
  done: boolean;
}

export class OrderedRecords {
  private places: Place[] = [];
  private head = 0;
  private onRoom: (() => void) | undefined;

  constructor(private readonly sink: RecordSink) {}

  /** A record known now. */
  add(record: ManifestRecord): void {
    if (this.head === this.places.length) this.sink.write(record);
    else this.places.push({ record, done: true });
  }

  /**
   * A record known later (undefined: none). `pending` must not reject; a sink error is
   * thrown from add() or from whichever later call flushes.
   */
  addLater(pending: Promise<ManifestRecord | undefined>): Promise<void> {
    const place: Place = { record: undefined, done: false };
    this.places.push(place);
    return pending.then((record) => {
      place.record = record;
      place.done = true;
      this.flush();
    });
  }

  /** Resolves once fewer than half of MAX_OPEN places are open. */
  async room(): Promise<void> {
    if (this.open() < MAX_OPEN) return;
    await new Promise<void>((resolve) => (this.onRoom = resolve));
  }

  open(): number {
    return this.places.length - this.head;
  }

  private flush(): void {
    while (this.head < this.places.length && this.places[this.head].done) {
      const { record } = this.places[this.head];
      this.places[this.head++] = undefined as unknown as Place; // let it go now, not at compaction
      if (record) this.sink.write(record);
    }
    if (this.head === this.places.length) {
      this.places = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.places.length) {
      this.places = this.places.slice(this.head);
      this.head = 0;
    }
    if (this.onRoom && this.open() <= MAX_OPEN / 2) {
      this.onRoom();
      this.onRoom = undefined;
    }
  }
}
