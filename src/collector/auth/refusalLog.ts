// Refused callers in the collector's log (issue 17: failed sign-ins were only counted): which
// API, the code and the refusal's words, never the credential. At most `limit` lines per
// window, so that a flood of bad tokens cannot flood the log; the next line says how many
// refusals were left out.
import { status } from "@grpc/grpc-js";

import type { Logger } from "../../log/logger";
import type { AuthError } from "./Authenticator";

export interface RefusalLogOptions {
  limit: number;
  windowMs: number;
  now?: () => number;
}

export function refusalLogger(
  logger: Logger,
  { limit, windowMs, now = Date.now }: RefusalLogOptions,
): (what: string, error: AuthError) => void {
  let windowStart = -Infinity;
  let logged = 0;
  let suppressed = 0;
  return (what, error) => {
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t;
      logged = 0;
    }
    if (logged >= limit) {
      suppressed++;
      return;
    }
    logged++;
    const unlogged = suppressed;
    suppressed = 0;
    logger.warn(
      { call: what, code: status[error.code], problem: error.details, ...(unlogged ? { unlogged } : {}) },
      "caller refused",
    );
  };
}
