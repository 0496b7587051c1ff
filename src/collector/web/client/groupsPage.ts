// Groups: the findings matching the filters grouped by SHA-256 ("this binary in 34 pods on
// 9 nodes"), by owning workload or by image, the largest first. A group opens its
// findings (the findings table filtered to it) or makes an exception for all of them.
import type { GroupView, GroupsResponse } from "../webTypes.js";
import { apiGet } from "./api.js";
import { h } from "./dom.js";
import { exceptionPanel } from "./exceptionPanel.js";
import { apiFilters } from "./filtersForm.js";
import { ago } from "./format.js";
import { safeText } from "./safeText.js";

const BYS: [string, string][] = [
  ["sha256", "SHA-256"],
  ["workload", "Workload"],
  ["image", "Image"],
];

/** The findings filter of one group: what its findings share. */
export function groupFilter(by: string, key: string[]): URLSearchParams {
  if (by === "sha256") return new URLSearchParams({ sha256: key[0] });
  if (by === "image") return new URLSearchParams({ image: key[0] });
  const [namespace, workloadKind, workloadName] = key;
  const out = new URLSearchParams({ namespace });
  if (workloadKind) out.set("workloadKind", workloadKind);
  if (workloadName) out.set("workloadName", workloadName);
  return out;
}

function keyText(by: string, key: string[]): string {
  if (by === "workload") return key[1] ? `${key[0]}/${key[1]}/${key[2]}` : `${key[0]}/(workload unknown)`;
  return key[0] || "(none)";
}

export function renderGroups(main: HTMLElement, state: URLSearchParams): () => void {
  const by = BYS.some(([b]) => b === state.get("by")) ? state.get("by")! : "sha256";
  const status = h("p", { class: "table-status", role: "status", id: "groups-status" }, "Loading…");
  const tbody = h("tbody");
  const side = h("div", { class: "group-exception" });
  const tabs = BYS.map(([b, title]) => {
    const next = new URLSearchParams(state);
    next.set("by", b);
    next.delete("pageToken");
    return h("a", { href: `#/groups?${next}`, class: "tab", "aria-current": b === by ? "page" : undefined }, title);
  });
  main.replaceChildren(
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Groups"),
      h("nav", { class: "tabs", "aria-label": "Group by" }, ...tabs),
    ),
    status,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "groups" },
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ...[BYS.find(([b]) => b === by)![1], "Spread", "Findings", "Execs", "New", "Audited", "Last seen", ""].map(
              (t) => h("th", { scope: "col" }, t),
            ),
          ),
        ),
        tbody,
      ),
    ),
    side,
  );
  const params = apiFilters(state);
  params.set("by", by);
  if (state.get("pageToken")) params.set("pageToken", state.get("pageToken")!);
  const controller = new AbortController();
  apiGet<GroupsResponse>(`/api/groups?${params}`, controller.signal).then(
    (page) => {
      tbody.replaceChildren(...page.groups.map((g) => row(by, g, side)));
      status.textContent = page.groups.length ? `${page.groups.length} groups, the largest first` : "No findings.";
      if (page.nextPageToken) {
        const next = new URLSearchParams(state);
        next.set("pageToken", page.nextPageToken);
        status.append(" · ", h("a", { href: `#/groups?${next}` }, "next groups →"));
      }
      status.dataset.for = location.hash;
    },
    (error: Error) => {
      if (error.name !== "AbortError") status.textContent = `Could not load groups: ${error.message}`;
    },
  );
  return () => controller.abort();
}

function row(by: string, g: GroupView, side: HTMLElement): HTMLTableRowElement {
  const filter = groupFilter(by, g.key);
  const exception = h("button", { type: "button", class: "group-exception-button" }, "Exception…");
  exception.addEventListener("click", () => {
    side.replaceChildren(exceptionPanel(`/api/exception?${filter}`, `the findings of ${keyText(by, g.key)}`));
    side.scrollIntoView();
  });
  const spread = `${g.pods} pod${g.pods === 1 ? "" : "s"} on ${g.nodes} node${g.nodes === 1 ? "" : "s"}`;
  return h(
    "tr",
    { "data-key": g.key.join("/") },
    h("td", { class: "key" }, h("a", { href: `#/findings?${filter}` }, safeText(keyText(by, g.key), 72))),
    h("td", null, spread + (g.namespaces > 1 ? `, ${g.namespaces} namespaces` : "")),
    h("td", { class: "num" }, g.findings),
    h("td", { class: "num" }, g.execs),
    h("td", { class: "num" }, g.open),
    h("td", { class: "num" }, g.audited),
    h("td", null, ago(g.lastSeenMs)),
    h("td", null, exception),
  );
}
