// "Make an exception": the DriftPolicy documents that would have allowed a finding or a
// group (the collector makes them with policy/suggestException.ts and checks them with the
// loader of `driftguard policy check`), narrowest first, each to copy into the team's
// policy ConfigMap. `source` is /api/findings/ID/exception or /api/exception?<group filter>.
import type { ExceptionResponse } from "../webTypes.js";
import { apiGet } from "./api.js";
import { h } from "./dom.js";
import { safeText } from "./safeText.js";

export function exceptionPanel(source: string, what: string): HTMLElement {
  const reason = h("input", { id: "exception-reason", type: "text", maxlength: 1024, autocomplete: "off" });
  const expires = h("input", {
    id: "exception-expires",
    type: "text",
    maxlength: 64,
    autocomplete: "off",
    placeholder: "2026-03-01T18:00:00Z",
  });
  const make = h("button", { type: "button", class: "make-exception" }, "Make an exception");
  const out = h("div", { class: "exception-out", "aria-live": "polite" });
  make.addEventListener("click", () => {
    out.replaceChildren(h("p", { class: "loading" }, "Making…"));
    const sep = source.includes("?") ? "&" : "?";
    const asked = new URLSearchParams({ reason: reason.value, expires: expires.value });
    apiGet<ExceptionResponse>(`${source}${sep}${asked}`).then(
      (answer) => out.replaceChildren(...suggestions(answer)),
      (error: Error) => out.replaceChildren(h("p", { class: "error", role: "alert" }, error.message)),
    );
  });
  return h(
    "section",
    { class: "panel exception" },
    h("h2", null, "Exception"),
    h("p", null, `A DriftPolicy that would have allowed ${what}, for the team to commit to its policy ConfigMap.`),
    h("label", { for: "exception-reason" }, "Why it is right (kept in the policy)"),
    reason,
    h("label", { for: "exception-expires" }, "Break-glass: expires at (optional, UTC)"),
    expires,
    h("div", { class: "actions" }, make),
    out,
  );
}

function suggestions(answer: ExceptionResponse): HTMLElement[] {
  if (answer.suggestions.length === 0)
    return [h("p", null, "No single allow entry covers these findings; narrow the group.")];
  return answer.suggestions.map((s, i) =>
    h(
      "details",
      { class: "suggestion", "data-kind": s.kind, open: i === 0 },
      h("summary", null, `${i === 0 ? "Narrowest: " : ""}allow by ${s.kind}: `, safeText(s.summary)),
      h("pre", { class: "yaml" }, s.yaml),
    ),
  );
}
