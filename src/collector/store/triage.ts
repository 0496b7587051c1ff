// The review workflow: new → acknowledged → resolved | false_positive, and new →
// false_positive in one step (a false positive needs no investigation to be one); a closed
// finding may be reopened (back to acknowledged), and a recurrence reopens it to new
// (recurrence.ts). Setting the current status again is a no-op.
import type { TriageStatus } from "../../api/convert";

const NEXT: Record<TriageStatus, TriageStatus[]> = {
  new: ["acknowledged", "false_positive"],
  acknowledged: ["resolved", "false_positive"],
  resolved: ["acknowledged"],
  false_positive: ["acknowledged"],
};

export function canTransition(from: TriageStatus, to: TriageStatus): boolean {
  return from === to || NEXT[from].includes(to);
}

/** Where a finding with status `from` may go next. */
export function allowedTransitions(from: TriageStatus): TriageStatus[] {
  return [...NEXT[from]];
}

export function transitionError(from: TriageStatus, to: TriageStatus): string {
  return `cannot move a finding from ${from} to ${to}; allowed from ${from}: ${NEXT[from].join(", ")}`;
}
