// The findings table: filters per column and a time range, sortable by time, last seen and
// count, keyset pages (Older / Newer), and live updates: a new finding matching the
// filters appears at the top of the first page (newest-first order) without a reload, or
// is counted in a "show" button elsewhere. Each row's path is a link (Tab, Enter).
import type { FindingView, FindingsResponse } from "../webTypes.js";
import { apiGet, watchFindings } from "./api.js";
import { announce, h } from "./dom.js";
import { apiFilters, filtersForm } from "./filtersForm.js";
import { REASONS, STATUSES, utc, workload } from "./format.js";

const SORTABLE: Record<string, string> = {
  first_seen: "First seen (UTC)",
  last_seen: "Last seen (UTC)",
  count: "Count",
};
const COLUMNS = [
  "first_seen",
  "last_seen",
  "Cluster",
  "Workload",
  "Image",
  "Path",
  "Reason",
  "Verdict",
  "count",
  "Status",
];

// Tokens of the pages before the current one, for "Newer"; kept while the filters stay.
let pages: { key: string; tokens: string[] } = { key: "", tokens: [] };

function go(state: URLSearchParams): void {
  location.hash = `#/findings?${state}`;
}

function keyOf(state: URLSearchParams): string {
  const copy = new URLSearchParams(state);
  copy.delete("pageToken");
  copy.delete("page");
  return copy.toString();
}

export function renderFindings(main: HTMLElement, state: URLSearchParams): () => void {
  if (pages.key !== keyOf(state)) pages = { key: keyOf(state), tokens: [] };
  const sort = state.get("sort") ?? "first_seen_desc";
  const pageSize = Number(state.get("pageSize") ?? 50);
  const pageNumber = Number(state.get("page") ?? 1);
  const shownHash = location.hash;
  const badge = h("span", { class: "live-badge", "data-state": "connecting" }, "○ Connecting…");
  const tbody = h("tbody");
  const status = h("p", { class: "table-status", role: "status" }, "Loading…");
  const fresh = h("button", { type: "button", class: "fresh-button", hidden: true }, "");
  let freshCount = 0;
  const table = h(
    "table",
    { class: "findings", "aria-describedby": "findings-status" },
    h("caption", { class: "visually-hidden" }, "Findings; the path opens a finding's details"),
    h("thead", null, h("tr", null, ...COLUMNS.map((c) => header(c, state, sort)))),
    tbody,
  );
  status.id = "findings-status";
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", null, "Findings"), badge, fresh),
    filtersForm(state, (next) => go(next)),
    status,
    h("div", { class: "table-wrap" }, table),
    pager,
  );
  fresh.addEventListener("click", () => {
    const first = new URLSearchParams(state);
    first.delete("pageToken");
    first.delete("page");
    first.set("sort", "first_seen_desc");
    go(first);
  });

  const shown = new Set<string>();
  const query = apiFilters(state);
  const listParams = new URLSearchParams(query);
  listParams.set("sort", sort);
  listParams.set("pageSize", String(pageSize));
  if (state.get("pageToken")) listParams.set("pageToken", state.get("pageToken")!);
  const controller = new AbortController();
  apiGet<FindingsResponse>(`/api/findings?${listParams}`, controller.signal).then(
    (page) => {
      tbody.append(...page.findings.filter((f) => !shown.has(f.id)).map(row)); // below live rows that came first
      page.findings.forEach((f) => shown.add(f.id));
      while (tbody.rows.length > pageSize) tbody.lastElementChild!.remove();
      const from = (pageNumber - 1) * pageSize + 1;
      status.textContent = page.findings.length
        ? `Findings ${from}–${from + page.findings.length - 1}${page.nextPageToken ? "" : " (last page)"}`
        : "No findings match these filters.";
      pager.replaceChildren(...pagerButtons(state, page.nextPageToken, pageNumber, pageSize));
      status.dataset.for = shownHash; // which view the table shows (tests wait for it)
    },
    (error: Error) => {
      if (error.name !== "AbortError") status.textContent = `Could not load findings: ${error.message}`;
    },
  );
  const livePage = pageNumber === 1 && sort === "first_seen_desc";
  void watchFindings(
    query,
    (f) => {
      if (shown.has(f.id)) return;
      shown.add(f.id);
      if (livePage) {
        const tr = row(f);
        tr.classList.add("fresh");
        tbody.prepend(tr);
        while (tbody.rows.length > pageSize) tbody.lastElementChild!.remove();
        // A posture finding has no path: the workload it is about.
        announce(`New finding: ${f.verdict} ${REASONS[f.reason] ?? f.reason} ${f.posture ? workload(f) : f.path}`);
        if (!status.textContent?.startsWith("Findings")) status.textContent = "New findings arrived.";
      } else {
        freshCount++;
        fresh.hidden = false;
        fresh.textContent = `${freshCount} new finding${freshCount > 1 ? "s" : ""}: show`;
      }
    },
    controller.signal,
    (connected) => {
      badge.dataset.state = connected ? "connected" : "connecting";
      badge.textContent = connected ? "● Live" : "○ Reconnecting…";
    },
  );
  return () => controller.abort();
}

function header(column: string, state: URLSearchParams, sort: string): HTMLElement {
  const title = SORTABLE[column];
  if (!title) return h("th", { scope: "col" }, column);
  const [current, dir] = [sort.replace(/_(asc|desc)$/, ""), sort.endsWith("_asc") ? "asc" : "desc"];
  const active = current === column;
  const nextDir = active && dir === "desc" ? "asc" : "desc";
  const button = h(
    "button",
    { type: "button", class: "sort", "data-sort": column },
    title,
    h("span", { "aria-hidden": "true" }, active ? (dir === "desc" ? " ▼" : " ▲") : ""),
  );
  button.addEventListener("click", () => {
    const next = new URLSearchParams(state);
    next.delete("pageToken");
    next.delete("page");
    next.set("sort", `${column}_${nextDir}`);
    go(next);
  });
  return h(
    "th",
    { scope: "col", "aria-sort": active ? (dir === "desc" ? "descending" : "ascending") : undefined },
    button,
  );
}

function row(f: FindingView): HTMLTableRowElement {
  const href = `#/finding/${encodeURIComponent(f.id)}`;
  const tr = h(
    "tr",
    { "data-id": f.id },
    h("td", { class: "time" }, utc(f.firstSeen)),
    h("td", { class: "time" }, utc(f.lastSeen)),
    h("td", null, f.cluster),
    h("td", { class: "workload", title: workload(f) }, workload(f)),
    h("td", { class: "image", title: f.image }, f.image),
    h("td", { class: "path" }, h("a", { href, title: `Open ${pathOf(f)}` }, pathOf(f))),
    h("td", null, REASONS[f.reason] ?? f.reason),
    h("td", null, h("span", { class: `verdict ${f.verdict}` }, f.verdict)),
    h("td", { class: "num" }, f.count),
    h("td", null, h("span", { class: `status ${f.triage.status}` }, STATUSES[f.triage.status] ?? f.triage.status)),
  );
  tr.addEventListener("click", (event) => {
    if (!(event.target as Element).closest("a")) location.hash = href;
  });
  return tr;
}

/** A posture finding has no path: what its spec shows instead. */
function pathOf(f: FindingView): string {
  return f.posture ? `${f.posture.specField}: ${f.posture.value}` : f.path;
}

function pagerButtons(state: URLSearchParams, nextToken: string, page: number, pageSize: number): HTMLElement[] {
  const at = (token: string | undefined, number: number): URLSearchParams => {
    const next = new URLSearchParams(state);
    if (token) next.set("pageToken", token);
    else next.delete("pageToken");
    if (number > 1) next.set("page", String(number));
    else next.delete("page");
    return next;
  };
  const newer = h("button", { type: "button", disabled: page <= 1 }, "← Newer");
  newer.addEventListener("click", () => {
    const previous = pages.tokens.pop();
    go(previous === undefined ? at(undefined, 1) : at(previous, page - 1)); // after a reload: the first page
  });
  const older = h("button", { type: "button", disabled: !nextToken }, "Older →");
  older.addEventListener("click", () => {
    pages.tokens.push(state.get("pageToken") ?? "");
    go(at(nextToken, page + 1));
  });
  const first = h("button", { type: "button", disabled: page <= 1 }, "First page");
  first.addEventListener("click", () => {
    pages.tokens = [];
    go(at(undefined, 1));
  });
  const size = h(
    "select",
    { id: "page-size", "aria-label": "Findings per page" },
    ...[25, 50, 100, 200].map((n) => h("option", { value: n, selected: n === pageSize }, `${n} per page`)),
  );
  size.addEventListener("change", () => {
    const next = at(undefined, 1);
    next.set("pageSize", size.value);
    go(next);
  });
  return [first, newer, h("span", { class: "page-number" }, `Page ${page}`), older, size];
}
