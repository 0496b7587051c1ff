// One row of the findings table: the columns a reviewer reads first (time to the second,
// severity, node, workload, image, path with what it copies), every finding string through
// safeText (escapes marked, long values cut with an expander). Cells carry data-col.
import type { FindingView } from "../webTypes.js";
import { h } from "./dom.js";
import { REASONS, STATUSES, utc, workload } from "./format.js";
import { safeText } from "./safeText.js";

/** Column ids and titles; the sortable ones are sort keys of the API. */
export const COLUMNS: [string, string][] = [
  ["first_seen", "First seen (UTC)"],
  ["last_seen", "Last seen (UTC)"],
  ["severity", "Severity"],
  ["node", "Cluster / node"],
  ["workload", "Workload"],
  ["image", "Image"],
  ["path", "Path"],
  ["reason", "Reason"],
  ["verdict", "Verdict"],
  ["count", "Count"],
  ["status", "Status"],
];

const cut = 60; // characters of a cell before its expander

function pathCell(f: FindingView, href: string): HTMLElement {
  // A posture finding has no path: what its spec shows instead.
  const shown = f.posture ? `${f.posture.specField}: ${f.posture.value}` : f.path;
  const link = h("a", { href, title: "Open the finding" }, safeText(shown, cut));
  const copy = f.copyOf ? h("span", { class: "copy-of" }, " copy of ", safeText(f.copyOf, cut)) : null;
  return h("td", { class: "path", "data-col": "path" }, link, copy);
}

export function findingRow(f: FindingView, selectable: boolean): HTMLTableRowElement {
  const href = `#/finding/${encodeURIComponent(f.id)}`;
  const owner = f.workload.kind ? `${f.namespace}/${f.workload.kind}/${f.workload.name}` : workload(f);
  const status = STATUSES[f.triage.status] ?? f.triage.status;
  const box = h("input", { type: "checkbox", class: "select", "aria-label": "Select this finding", value: f.id });
  const tr = h(
    "tr",
    { "data-id": f.id, "data-status": f.triage.status },
    selectable ? h("td", { class: "select" }, box) : null,
    h("td", { class: "time", "data-col": "first_seen" }, utc(f.firstSeen)),
    h("td", { class: "time", "data-col": "last_seen" }, utc(f.lastSeen)),
    h("td", { "data-col": "severity" }, h("span", { class: `severity ${f.severity}` }, f.severity)),
    h("td", { "data-col": "node" }, safeText(f.cluster ? `${f.cluster} / ${f.node}` : f.node, 40)),
    h("td", { class: "workload", "data-col": "workload" }, safeText(owner, cut)),
    h("td", { class: "image", "data-col": "image" }, safeText(f.image, cut)),
    pathCell(f, href),
    h("td", { "data-col": "reason" }, REASONS[f.reason] ?? f.reason),
    h("td", { "data-col": "verdict" }, h("span", { class: `verdict ${f.verdict}` }, f.verdict)),
    h("td", { class: "num", "data-col": "count" }, f.count),
    h(
      "td",
      { "data-col": "status" },
      h("span", { class: `status ${f.triage.status}` }, f.triage.recurred ? `${status} (recurred)` : status),
    ),
  );
  tr.addEventListener("click", (event) => {
    const target = event.target as Element;
    if (!target.closest("a, input, button")) location.hash = href;
  });
  return tr;
}
