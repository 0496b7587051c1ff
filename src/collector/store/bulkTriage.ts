// A bulk triage decided before it is written: which of the findings found move (one
// history entry each), which have the status already, which may not move there.
import type { TriageStatus } from "../../api/convert";
import { canTransition } from "./triage";

export interface BulkPlan {
  /** Ids to change, grouped by the status they leave (each group is one UPDATE). */
  moves: Map<TriageStatus, string[]>;
  changed: number;
  unchanged: number;
  notAllowed: number;
}

export function planBulkTriage(rows: { id: string; status: TriageStatus }[], to: TriageStatus): BulkPlan {
  const plan: BulkPlan = { moves: new Map(), changed: 0, unchanged: 0, notAllowed: 0 };
  for (const { id, status } of rows) {
    if (status === to) plan.unchanged++;
    else if (!canTransition(status, to)) plan.notAllowed++;
    else {
      plan.changed++;
      const ids = plan.moves.get(status) ?? [];
      ids.push(id);
      plan.moves.set(status, ids);
    }
  }
  return plan;
}

/** The message when more findings match than one call may change. */
export function tooManyMessage(found: number, max: number): string {
  return `more than ${max} findings match (${found >= max ? "at least " : ""}${found}); at most ${max} change at once: narrow the filter`;
}

/** `items` in slices of `size` (SQL parameter lists stay bounded). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
