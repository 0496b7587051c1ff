// Bulk triage on the findings table: the selected rows, or every finding matching the
// filters that was raised before the table was read (asOfMs: what came later was not seen
// and keeps its status). One history entry per finding, by the same operation as the CLI.
import type { BulkTriageResponse } from "../webTypes.js";
import { apiPost } from "./api.js";
import { announce, h } from "./dom.js";
import { STATUSES } from "./format.js";

export interface BulkScope {
  selected: () => string[];
  /** The API filter of the table, as a query string. */
  filter: string;
  asOfMs: number;
  /** How many findings match (the table's total), for the button's words. */
  total: () => string;
  done: () => void;
}

export function bulkBar(scope: BulkScope): HTMLElement {
  const status = h(
    "select",
    { id: "bulk-status", "aria-label": "New status" },
    ...["acknowledged", "resolved", "false_positive"].map((s) => h("option", { value: s }, STATUSES[s] ?? s)),
  );
  const comment = h("input", {
    id: "bulk-comment",
    type: "text",
    maxlength: 4096,
    placeholder: "Comment (required for a false positive)",
    "aria-label": "Comment",
  });
  const message = h("span", { class: "bulk-message", role: "status" });
  const apply = (body: { ids?: string[]; filter?: string; seenBeforeMs?: number }) => {
    if (status.value === "false_positive" && !comment.value.trim()) {
      message.textContent = "Say why they are false positives in the comment.";
      comment.focus();
      return;
    }
    apiPost<BulkTriageResponse>("/api/triage", { ...body, status: status.value, comment: comment.value }).then(
      (r) => {
        const words = `${r.changed} changed, ${r.unchanged} already so, ${r.notAllowed} not allowed`;
        message.textContent = words;
        announce(`Bulk triage: ${words}`);
        scope.done();
      },
      (error: Error) => (message.textContent = error.message),
    );
  };
  const selected = h("button", { type: "button", class: "bulk-selected" }, "Apply to selected");
  selected.addEventListener("click", () => {
    const ids = scope.selected();
    if (ids.length === 0) message.textContent = "Select findings first (the boxes on the left).";
    else apply({ ids });
  });
  const all = h("button", { type: "button", class: "bulk-all" }, "Apply to all matching");
  all.addEventListener("click", () => {
    if (!confirm(`Set ${scope.total()} findings matching these filters to ${STATUSES[status.value]}?`)) return;
    apply({ filter: scope.filter, seenBeforeMs: scope.asOfMs });
  });
  return h(
    "div",
    { class: "bulk-bar", role: "group", "aria-label": "Triage many" },
    status,
    comment,
    selected,
    all,
    message,
  );
}
