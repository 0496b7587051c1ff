// The findings table: filters per column and a time range, sortable by time, last seen and
// count, keyset pages (Older / Newer), and live updates: a new finding matching the
// filters appears at the top of the first page (newest-first order) without a reload, or
// is counted in a "show" button elsewhere; a shown finding that a recurrence reopened is
// replaced in place. Each row's path is a link (Tab, Enter). Triagers get a box per row and
// the bulk bar (bulkBar.ts).
import type { FindingsResponse, SessionResponse } from "../webTypes.js";
import { apiGet, watchFindings } from "./api.js";
import { bulkBar } from "./bulkBar.js";
import { announce, h } from "./dom.js";
import { apiFilters, filtersForm } from "./filtersForm.js";
import { COLUMNS, findingRow } from "./findingsRow.js";
import { REASONS, workload } from "./format.js";

const SORTABLE = new Set(["first_seen", "last_seen", "count"]);

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

const groups = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");

export function renderFindings(main: HTMLElement, state: URLSearchParams, session: SessionResponse): () => void {
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
  let total = "";
  const row = (f: Parameters<typeof findingRow>[0]) => findingRow(f, session.canTriage);
  const selectAll = h("input", { type: "checkbox", class: "select-all", "aria-label": "Select every finding shown" });
  selectAll.addEventListener("change", () => {
    for (const box of tbody.querySelectorAll<HTMLInputElement>("input.select")) box.checked = selectAll.checked;
  });
  const bar = h("div", { class: "bulk-slot" });
  const table = h(
    "table",
    { class: "findings", "aria-describedby": "findings-status" },
    h("caption", { class: "visually-hidden" }, "Findings; the path opens a finding's details"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        session.canTriage ? h("th", { scope: "col", class: "select" }, selectAll) : null,
        ...COLUMNS.map(([c, title]) => header(c, title, state, sort)),
      ),
    ),
    tbody,
  );
  status.id = "findings-status";
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", null, "Findings"), badge, fresh),
    filtersForm(state, (next) => go(next)),
    bar,
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
      if (page.total) total = `${page.total.atLeast ? "more than " : ""}${groups(page.total.count)}`;
      const of = total ? ` of ${total}` : "";
      status.textContent = page.findings.length
        ? `Findings ${from}–${from + page.findings.length - 1}${of}${page.nextPageToken ? "" : " (last page)"}`
        : "No findings match these filters.";
      if (session.canTriage && page.findings.length > 0) {
        bar.replaceChildren(
          bulkBar({
            selected: () =>
              [...tbody.querySelectorAll<HTMLInputElement>("input.select:checked")].map((box) => box.value),
            filter: query.toString(),
            asOfMs: page.asOfMs,
            total: () => total || String(page.findings.length),
            // The router renders the view again (and stops this one's requests).
            done: () => window.dispatchEvent(new HashChangeEvent("hashchange")),
          }),
        );
      }
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
    (f, event) => {
      const existing = tbody.querySelector(`tr[data-id="${CSS.escape(f.id)}"]`);
      if (existing && event === "recurred") {
        const tr = row(f);
        tr.classList.add("fresh");
        existing.replaceWith(tr);
        announce(`Finding recurred and reopened: ${f.path}`);
        return;
      }
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

function header(column: string, title: string, state: URLSearchParams, sort: string): HTMLElement {
  if (!SORTABLE.has(column)) return h("th", { scope: "col", "data-col": column }, title);
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
    {
      scope: "col",
      "data-col": column,
      "aria-sort": active ? (dir === "desc" ? "descending" : "ascending") : undefined,
    },
    button,
  );
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
