// A finding recurs when its execs go on after a reviewer closed it (resolved, or a false
// positive): the agent's count update for its id carries a higher count. The collector
// then reopens it (status new), records why in its history, and raises it again to
// watchers, the live page and the webhook. A count that did not grow (a report delivered
// again) changes nothing. Counts are compared rather than times so that neither clock
// matters; execs made before the triage but delivered after it also reopen the finding,
// which errs towards showing the reviewer what they had not seen.
import type { TriageStatus } from "../../api/convert";

/** Who the history names for a recurrence (reviewers' names come from tokens and certificates). */
export const RECURRENCE_ACTOR = "driftguard";

const CLOSED: readonly TriageStatus[] = ["resolved", "false_positive"];

export interface Recurrence {
  from: TriageStatus;
  comment: string;
}

/** The reopening a count update causes, or undefined. */
export function recurrenceOf(stored: { count: number; status: TriageStatus }, count: number): Recurrence | undefined {
  if (!CLOSED.includes(stored.status) || count <= stored.count) return undefined;
  const more = count - stored.count;
  return {
    from: stored.status,
    comment: `recurred after ${stored.status.replace("_", " ")}: ${more} more exec${more > 1 ? "s" : ""} (count ${stored.count} → ${count})`,
  };
}
