// The posture view: which workloads run with a posture that lets them reach around the
// guard, which property, which Pod Security rule it breaks (and the GuardDuty type), what
// the spec shows and since when, grouped by workload. Each property opens its finding.
import type { FindingView, FindingsResponse } from "../webTypes.js";
import { apiGet } from "./api.js";
import { h } from "./dom.js";
import { REASONS, STATUSES, utc, workload } from "./format.js";

const PAGE = 1000;
/** A page of the view holds at most this many findings (the findings table has them all). */
const MAX = 5000;

export function renderPosture(main: HTMLElement): () => void {
  const status = h("p", { class: "table-status", role: "status", id: "posture-status" }, "Loading…");
  const table = h("table", { class: "findings posture", "aria-describedby": "posture-status" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", null, "Posture")),
    h(
      "p",
      { class: "subtitle" },
      "Containers whose spec lets them reach around drift prevention, one row per property, judged when the agent attached them. ",
      h("a", { href: "#/findings?reason=posture_*" }, "All posture findings in the table"),
    ),
    status,
    h("div", { class: "table-wrap" }, table),
  );
  const controller = new AbortController();
  void load(controller.signal).then(
    (findings) => {
      const groups = new Map<string, FindingView[]>();
      for (const f of findings) groups.set(workload(f), [...(groups.get(workload(f)) ?? []), f]);
      table.replaceChildren(
        h("caption", { class: "visually-hidden" }, "Posture findings by workload; a property opens its finding"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ...[
              "Workload",
              "Property",
              "Pod Security rule",
              "GuardDuty type",
              "Spec shows",
              "Since (UTC)",
              "Verdict",
              "Status",
            ].map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        ...[...groups].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, rows]) => group(name, rows)),
      );
      status.textContent = findings.length
        ? `${findings.length} posture finding${findings.length > 1 ? "s" : ""} in ${groups.size} workload${groups.size > 1 ? "s" : ""}`
        : "No container with a risky posture.";
      status.dataset.for = "#/posture";
    },
    (error: Error) => {
      if (error.name !== "AbortError") status.textContent = `Could not load posture findings: ${error.message}`;
    },
  );
  return () => controller.abort();
}

async function load(signal: AbortSignal): Promise<FindingView[]> {
  const out: FindingView[] = [];
  let token = "";
  do {
    const params = new URLSearchParams({ reason: "posture_*", sort: "first_seen_asc", pageSize: String(PAGE) });
    if (token) params.set("pageToken", token);
    const page = await apiGet<FindingsResponse>(`/api/findings?${params}`, signal);
    out.push(...page.findings);
    token = page.nextPageToken;
  } while (token && out.length < MAX);
  return out;
}

function group(name: string, rows: FindingView[]): HTMLElement {
  return h(
    "tbody",
    { "data-workload": name },
    ...rows.map((f, i) => {
      const p = f.posture;
      const href = `#/finding/${encodeURIComponent(f.id)}`;
      return h(
        "tr",
        { "data-id": f.id, "data-reason": f.reason },
        i === 0 ? h("th", { scope: "rowgroup", rowspan: rows.length, class: "workload" }, name) : null,
        h("td", null, h("a", { href, title: p?.meaning ?? "" }, REASONS[f.reason] ?? f.reason)),
        h("td", null, p ? `${p.pssLevel}: ${p.pssControl}` : ""),
        h("td", null, p?.guardDutyType || "—"),
        h("td", { class: "path" }, p ? `${p.specField}: ${p.value}` : ""),
        h("td", { class: "time" }, utc(f.firstSeen)),
        h("td", null, h("span", { class: `verdict ${f.verdict}` }, f.verdict === "blocked" ? "stopped" : f.verdict)),
        h("td", null, h("span", { class: `status ${f.triage.status}` }, STATUSES[f.triage.status] ?? f.triage.status)),
      );
    }),
  );
}
