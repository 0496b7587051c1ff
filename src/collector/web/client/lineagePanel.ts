// The detail page's lineage: the exec'ing process first, each ancestor up to the
// container's init or the first process outside it, and whether an exec session
// (runc / kubectl exec) brought the chain into the container; and who wrote the file.
import type { FindingView } from "../webTypes.js";
import { h } from "./dom.js";
import { utc } from "./format.js";

export function lineagePanel(lineage: FindingView["lineage"]): HTMLElement {
  const panel = h("section", { class: "panel lineage" }, h("h2", null, "Lineage"));
  if (!lineage || lineage.processes.length === 0) {
    panel.append(h("p", { class: "muted" }, "Not reported (an agent before lineage, or over its lineage budget)."));
    return panel;
  }
  panel.append(
    h(
      "p",
      { class: `lineage-how${lineage.execSession ? " exec-session" : ""}` },
      lineage.execSession
        ? "Exec session: the chain entered the container through the runtime (runc / kubectl exec), not from its init."
        : lineage.complete
          ? "Started from the container's init."
          : "Incomplete: an ancestor had exited before the agent read it.",
    ),
  );
  const rows = lineage.processes.map((p) =>
    h(
      "tr",
      { class: p.inContainer ? "" : "outside" },
      h("td", null, String(p.pid)),
      h("td", null, p.inContainer ? `${p.uid}${p.user ? ` (${p.user})` : ""} / ${p.gid}` : "outside the container"),
      h("td", null, p.exe || "(gone)"),
      h("td", null, p.argv.join(" ")),
      h("td", null, p.started ? utc(p.started) : "—"),
    ),
  );
  panel.append(
    h(
      "table",
      { class: "lineage-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ...["PID", "UID (user) / GID", "Program", "Arguments", "Started (UTC)"].map((t) => h("th", null, t)),
        ),
      ),
      h("tbody", null, ...rows),
    ),
  );
  return panel;
}

/** Who last wrote the executed file, in one line. */
export function writerText(w: FindingView["writer"]): string {
  if (!w) return "no write seen (before the agent ran, through a shared mapping, or forgotten)";
  const program = w.exe || "(exited before it was read)";
  return `${program}${w.cmdline ? ` [${w.cmdline}]` : ""}, pid ${w.pid}, uid ${w.uid}, at ${utc(w.time)} UTC`;
}
