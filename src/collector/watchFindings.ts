// WatchFindings and the web page's live updates: both poll the store for findings raised
// since the last poll: stored for the first time, or reopened by a recurrence (raised_ms
// moves on then). Polling (not an in-process event) because with PostgreSQL another
// collector replica may have stored them. Rows become visible when their transaction
// commits, which can be after a later raised_ms was seen, so each poll looks back
// LOOKBACK_MS and skips what it sent already (an id raised at the same time). A sink that cannot take more (a slow reader)
// makes the poll drop its page, wait, and go on after the last row it sent: nothing is
// skipped and nothing piles up in memory (the store is the buffer).
import * as grpc from "@grpc/grpc-js";

import type { MalformedMessage } from "../api/apiProto";
import type { WatchEventName, WatchFindingsRequest, WatchFindingsResponse } from "../api/types";
import type { Logger } from "../log/logger";
import { findingBytes } from "./limits/boundedPage";
import type { WatchLedger } from "./limits/UnackedBytes";
import { apiFromStored } from "./records";
import type { FindingQuery, FindingStore, StoredFinding } from "./store/FindingStore";

const LOOKBACK_MS = 10_000;
/** Rows read per query: findings are up to ~100 KB, and a page is in memory at once. */
const PAGE = 50;

/** Why a finding reaches watchers: stored for the first time, or reopened by a recurrence. */
export function raisedAs(f: StoredFinding): "new" | "recurred" {
  return f.raisedMs > f.receivedMs ? "recurred" : "new";
}

const WATCH_EVENT: Record<"new" | "recurred", WatchEventName> = {
  new: "WATCH_EVENT_NEW",
  recurred: "WATCH_EVENT_RECURRED",
};

export interface NewFindingsSink {
  /** A finding raised after the watch began (raisedAs tells why); false stops the watch. */
  write(finding: StoredFinding): boolean | void;
  /** A promise while the sink cannot take more; the poll waits for it. */
  whenReady?(): Promise<void> | undefined;
  /** The store failed; the watch has stopped. */
  fail(error: Error): void;
}

/** Polls until the returned stop() is called (or a write returns false, or the store fails). */
export function pollNewFindings(
  query: FindingQuery,
  store: FindingStore,
  pollMs: number,
  logger: Logger,
  sink: NewFindingsSink,
): () => void {
  const startedAt = Date.now();
  let newest = startedAt; // highest raised_ms sent so far
  const sent = new Map<string, number>(); // id@raised_ms → raised_ms, pruned past the lookback
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const stop = (): void => {
    done = true;
    clearTimeout(timer);
  };
  const poll = async (): Promise<void> => {
    try {
      let after = { raisedMs: newest - LOOKBACK_MS, id: "" };
      let wait: Promise<void> | undefined;
      for (;;) {
        if (wait) {
          // The page that filled the sink is gone (not held while waiting); go on after its last row sent.
          await wait;
          wait = undefined;
          if (done) return;
        }
        const rows = await store.raisedAfter(query, after, PAGE);
        for (const row of rows) {
          if (done) return;
          after = { raisedMs: row.raisedMs, id: row.id };
          const key = `${row.id}@${row.raisedMs}`;
          if (row.raisedMs < startedAt || sent.has(key)) continue;
          sent.set(key, row.raisedMs);
          newest = Math.max(newest, row.raisedMs);
          if (sink.write(row) === false) return stop();
          wait = sink.whenReady?.();
          if (wait) break;
        }
        if (done) return;
        if (!wait && rows.length < PAGE) break;
      }
      for (const [key, raised] of sent) if (raised < newest - LOOKBACK_MS) sent.delete(key);
      if (!done) timer = setTimeout(() => void poll(), pollMs);
    } catch (error) {
      logger.warn({ err: error }, "watch poll failed");
      stop();
      sink.fail(error as Error);
    }
  };
  timer = setTimeout(() => void poll(), 0);
  return stop;
}

export interface WatchOptions {
  pollMs: number;
  logger: Logger;
  /** The caller's budget of unacknowledged bytes. */
  ledger: WatchLedger;
  /** The stream had to wait for its reader (metrics). */
  onWait?: () => void;
}

export function watchFindings(
  call: grpc.ServerWritableStream<WatchFindingsRequest | MalformedMessage, WatchFindingsResponse>,
  query: FindingQuery,
  store: FindingStore,
  o: WatchOptions,
): () => void {
  const stop = pollNewFindings(query, store, o.pollMs, o.logger, {
    write: (row) => {
      const acked = o.ledger.sent(findingBytes(row));
      call.write({ finding: apiFromStored(row), event: WATCH_EVENT[raisedAs(row)] }, () => acked());
    },
    whenReady: () => {
      if (o.ledger.ready) return undefined;
      o.onWait?.();
      return o.ledger.whenReady();
    },
    fail: (error) =>
      call.emit("error", {
        code: grpc.status.UNAVAILABLE,
        details: `the collector's store failed: ${error.message}`,
      }),
  });
  return () => {
    stop();
    o.ledger.close();
  };
}
