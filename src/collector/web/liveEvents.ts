// GET /api/events: new findings (event "finding") and findings a recurrence reopened (event
// "recurred") as Server-Sent Events, fed by the same store poll as WatchFindings
// (watchFindings.ts). Read with fetch() by the page, since EventSource cannot
// send the Authorization header. A client too slow to read is cut off (it reconnects and
// reloads the table) rather than buffered without bound.
import type * as http from "node:http";

import { findingView } from "../../api/findingView";
import type { Logger } from "../../log/logger";
import { apiFromStored } from "../records";
import type { FindingQuery, FindingStore } from "../store/FindingStore";
import { pollNewFindings, raisedAs } from "../watchFindings";

const PING_MS = 15_000;
const MAX_BUFFERED = 1 << 20;

export interface LiveEventsDeps {
  store: FindingStore;
  logger: Logger;
  pollMs: number;
  /** +1 when a stream opens, -1 when it closes (metrics). */
  onWatcher?: (change: 1 | -1) => void;
}

export function serveLiveEvents(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  query: FindingQuery,
  deps: LiveEventsDeps,
): void {
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no", // proxies must not hold events back
  });
  res.write("retry: 2000\n: watching\n\n");
  deps.onWatcher?.(1);
  const end = (): void => {
    stop();
    clearInterval(ping);
    if (!res.writableEnded) res.end();
  };
  const stop = pollNewFindings(query, deps.store, deps.pollMs, deps.logger, {
    write(row) {
      const event = raisedAs(row) === "recurred" ? "recurred" : "finding";
      res.write(`event: ${event}\ndata: ${JSON.stringify(findingView(apiFromStored(row)))}\n\n`);
      if (res.writableLength > MAX_BUFFERED) {
        deps.logger.warn("live updates: the page does not read; stream ended");
        end();
        return false;
      }
      return true;
    },
    fail(error) {
      res.write(
        `event: failure\ndata: ${JSON.stringify({ error: `the collector's store failed: ${error.message}` })}\n\n`,
      );
      end();
    },
  });
  const ping = setInterval(() => res.write(": ping\n\n"), PING_MS);
  req.once("close", () => {
    end();
    deps.onWatcher?.(-1);
  });
}
