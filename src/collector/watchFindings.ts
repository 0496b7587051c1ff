// WatchFindings: polls the store for findings received since the last poll. Polling (not an
// in-process event) because with PostgreSQL another collector replica may have stored
// them. Rows become visible when their transaction commits, which can be after a later
// received_ms was seen, so each poll looks back LOOKBACK_MS and skips ids already sent.
import * as grpc from "@grpc/grpc-js";

import type { MalformedMessage } from "../api/apiProto";
import type { WatchFindingsRequest, WatchFindingsResponse } from "../api/types";
import type { Logger } from "../log/logger";
import { apiFromStored } from "./records";
import type { FindingQuery, FindingStore } from "./store/FindingStore";

const LOOKBACK_MS = 10_000;
const PAGE = 500;

export function watchFindings(
  call: grpc.ServerWritableStream<WatchFindingsRequest | MalformedMessage, WatchFindingsResponse>,
  query: FindingQuery,
  store: FindingStore,
  pollMs: number,
  logger: Logger,
): void {
  const startedAt = Date.now();
  let newest = startedAt; // highest received_ms sent so far
  const sent = new Map<string, number>(); // id → received_ms, pruned past the lookback
  let timer: NodeJS.Timeout | undefined;
  let done = false;
  const stop = (): void => {
    done = true;
    clearTimeout(timer);
  };
  call.on("cancelled", stop);
  call.on("close", stop);
  call.on("error", stop);
  const poll = async (): Promise<void> => {
    try {
      let after = { receivedMs: newest - LOOKBACK_MS, id: "" };
      for (;;) {
        const rows = await store.receivedAfter(query, after, PAGE);
        for (const row of rows) {
          if (done) return;
          if (row.receivedMs < startedAt || sent.has(row.id)) continue;
          sent.set(row.id, row.receivedMs);
          newest = Math.max(newest, row.receivedMs);
          call.write({ finding: apiFromStored(row) });
        }
        if (rows.length < PAGE) break;
        after = { receivedMs: rows[rows.length - 1].receivedMs, id: rows[rows.length - 1].id };
      }
      for (const [id, received] of sent) if (received < newest - LOOKBACK_MS) sent.delete(id);
      if (!done) timer = setTimeout(() => void poll(), pollMs);
    } catch (error) {
      logger.warn({ err: error }, "watch poll failed");
      stop();
      call.emit("error", {
        code: grpc.status.UNAVAILABLE,
        details: `the collector's store failed: ${(error as Error).message}`,
      });
    }
  };
  timer = setTimeout(() => void poll(), 0);
}
