// WatchFindings and the web page's live updates: both poll the store for findings received
// since the last poll. Polling (not an in-process event) because with PostgreSQL another
// collector replica may have stored them. Rows become visible when their transaction
// commits, which can be after a later received_ms was seen, so each poll looks back
// LOOKBACK_MS and skips ids already sent. A sink that cannot take more (a slow reader)
// makes the poll drop its page, wait, and go on after the last row it sent: nothing is
// skipped and nothing piles up in memory (the store is the buffer).
import * as grpc from "@grpc/grpc-js";

import type { MalformedMessage } from "../api/apiProto";
import type { WatchFindingsRequest, WatchFindingsResponse } from "../api/types";
import type { Logger } from "../log/logger";
import { findingBytes } from "./limits/boundedPage";
import type { WatchLedger } from "./limits/UnackedBytes";
import { apiFromStored } from "./records";
import type { FindingQuery, FindingStore, StoredFinding } from "./store/FindingStore";

const LOOKBACK_MS = 10_000;
/** Rows read per query: findings are up to ~100 KB, and a page is in memory at once. */
const PAGE = 50;

export interface NewFindingsSink {
  /** A finding first stored after the watch began; false stops the watch. */
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
  let newest = startedAt; // highest received_ms sent so far
  const sent = new Map<string, number>(); // id → received_ms, pruned past the lookback
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const stop = (): void => {
    done = true;
    clearTimeout(timer);
  };
  const poll = async (): Promise<void> => {
    try {
      let after = { receivedMs: newest - LOOKBACK_MS, id: "" };
      let wait: Promise<void> | undefined;
      for (;;) {
        if (wait) {
          // The page that filled the sink is gone (not held while waiting); go on after its last row sent.
          await wait;
          wait = undefined;
          if (done) return;
        }
        const rows = await store.receivedAfter(query, after, PAGE);
        for (const row of rows) {
          if (done) return;
          after = { receivedMs: row.receivedMs, id: row.id };
          if (row.receivedMs < startedAt || sent.has(row.id)) continue;
          sent.set(row.id, row.receivedMs);
          newest = Math.max(newest, row.receivedMs);
          if (sink.write(row) === false) return stop();
          wait = sink.whenReady?.();
          if (wait) break;
        }
        if (done) return;
        if (!wait && rows.length < PAGE) break;
      }
      for (const [id, received] of sent) if (received < newest - LOOKBACK_MS) sent.delete(id);
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
      call.write({ finding: apiFromStored(row) }, () => acked());
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
