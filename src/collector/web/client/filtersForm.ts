// The findings table's filters: one per column plus a time range, kept in the URL (#/findings?...)
// so that a filtered view can be bookmarked and shared.
import { h } from "./dom.js";
import { REASONS, STATUSES } from "./format.js";

export const TEXT_FILTERS: [string, string][] = [
  ["cluster", "Cluster"],
  ["namespace", "Namespace"],
  ["pod", "Pod starts with"],
  ["container", "Container"],
  ["image", "Image"],
  ["path", "Path starts with"],
  ["node", "Node"],
  ["sha256", "SHA-256"],
  ["workloadName", "Workload"],
];
const RANGES: [string, string][] = [
  ["", "Any time"],
  ["1h", "Last hour"],
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
];
const RANGE_MS: Record<string, number> = { "1h": 3600_000, "24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000 };

/** Filter parameters of the API (since/until resolved from the range). */
export function apiFilters(state: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [name] of TEXT_FILTERS) if (state.get(name)) out.set(name, state.get(name)!);
  for (const name of ["reason", "verdict", "status", "minCount", "until", "workloadKind"])
    if (state.get(name)) out.set(name, state.get(name)!);
  const range = state.get("range");
  if (range && RANGE_MS[range]) out.set("since", String(Date.now() - RANGE_MS[range]));
  else if (state.get("since")) out.set("since", state.get("since")!);
  return out;
}

function select(name: string, label: string, value: string, options: [string, string][]): HTMLElement {
  const id = `filter-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("select", { id, name }, ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))),
  );
}

function input(name: string, label: string, value: string, type = "text"): HTMLElement {
  const id = `filter-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", {
      id,
      name,
      type,
      value,
      autocomplete: "off",
      spellcheck: "false",
      min: type === "number" ? 1 : undefined,
    }),
  );
}

/** The form; onApply gets the new state (without page position). */
export function filtersForm(state: URLSearchParams, onApply: (state: URLSearchParams) => void): HTMLFormElement {
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Filter findings" },
    select("range", "Time", state.get("range") ?? "", RANGES),
    ...TEXT_FILTERS.map(([name, label]) => input(name, label, state.get(name) ?? "")),
    // posture_*: every posture property at once (the posture view links to it).
    select("reason", "Reason", state.get("reason") ?? "", [
      ["", "Any"],
      ["posture_*", "any posture"],
      ...Object.entries(REASONS),
    ]),
    select("verdict", "Verdict", state.get("verdict") ?? "", [
      ["", "Any"],
      ["blocked", "blocked"],
      ["audited", "audited"],
    ]),
    select("status", "Status", state.get("status") ?? "", [["", "Any"], ...Object.entries(STATUSES)]),
    input("minCount", "Count at least", state.get("minCount") ?? "", "number"),
    // Set by a workload group's link; kept until the filters are cleared.
    state.get("workloadKind")
      ? h("input", { type: "hidden", name: "workloadKind", value: state.get("workloadKind")! })
      : null,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Apply filters"),
      h("button", { type: "reset" }, "Clear"),
    ),
  );
  const collect = (): URLSearchParams => {
    const next = new URLSearchParams();
    for (const [name, value] of new FormData(form))
      if (typeof value === "string" && value.trim()) next.set(name, value.trim());
    const sort = state.get("sort");
    if (sort) next.set("sort", sort);
    const size = state.get("pageSize");
    if (size) next.set("pageSize", size);
    return next;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onApply(collect());
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    onApply(new URLSearchParams());
  });
  return form;
}
