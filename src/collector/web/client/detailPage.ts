// One finding: what ran, who ran it, where, under which policy, and its review: the triage
// actions the finding may take next (with a comment; required to mark a false positive)
// and the history of every change (a recurrence that reopened it included), and "make an
// exception" (exceptionPanel.ts). Every string of the finding goes through safeText.
import type { FindingDetailResponse, FindingView, SessionResponse } from "../webTypes.js";
import { apiGet, apiPost } from "./api.js";
import { announce, h } from "./dom.js";
import { exceptionPanel } from "./exceptionPanel.js";
import { lineagePanel, writerText } from "./lineagePanel.js";
import { ACTIONS as EXEC_ACTIONS, REASONS, STATUSES, utc, workload } from "./format.js";
import { samplePanel } from "./samplePanel.js";
import { safeText } from "./safeText.js";

const LONG = 240; // characters of a value before its expander

const ACTIONS: Record<string, string> = {
  acknowledged: "Acknowledge",
  resolved: "Resolve",
  false_positive: "Mark false positive",
};

export function renderDetail(main: HTMLElement, id: string, session: SessionResponse): () => void {
  main.replaceChildren(h("p", { class: "loading" }, "Loading…"));
  let stopped = false;
  apiGet<FindingDetailResponse>(`/api/findings/${encodeURIComponent(id)}`).then(
    (detail) => {
      if (!stopped) show(main, detail, session);
    },
    (error: Error) => {
      if (!stopped) main.replaceChildren(back(), h("p", { class: "error", role: "alert" }, error.message));
    },
  );
  return () => {
    stopped = true;
  };
}

function back(): HTMLElement {
  // Back to the list as it was (filters, sort, page) when the finding was opened.
  return h("a", { href: sessionStorage.getItem("driftguard.lastList") ?? "#/findings", class: "back" }, "← Findings");
}

function show(main: HTMLElement, d: FindingDetailResponse, session: SessionResponse): void {
  const f = d.finding;
  const title = h(
    "h1",
    { tabindex: "-1" },
    ...(f.posture
      ? [`${f.verdict === "blocked" ? "Stopped" : "Posture"}: ${REASONS[f.reason] ?? f.reason}`]
      : [`${f.verdict === "blocked" ? "Blocked" : "Audited"}: `, safeText(f.path, LONG)]),
  );
  main.replaceChildren(
    back(),
    title,
    h(
      "p",
      { class: "subtitle" },
      h("span", { class: `severity ${f.severity}` }, f.severity),
      " ",
      h("span", { class: `verdict ${f.verdict}` }, f.verdict),
      " ",
      REASONS[f.reason] ?? f.reason,
      f.copyOf ? " (copy of " : "",
      f.copyOf ? safeText(f.copyOf, LONG) : "",
      f.copyOf ? ")" : "",
      " in ",
      safeText(workload(f), LONG),
    ),
    h(
      "div",
      { class: "detail-grid" },
      ...(f.posture
        ? [postureSection(f, f.posture)]
        : [executionSection(f), samplePanel(f.id, d.sample), processSection(f), lineagePanel(f.lineage)]),
      section("Where", [
        ["Cluster / node", `${f.cluster || "—"} / ${f.node}`],
        ["Namespace / pod / container", workload(f)],
        ["Workload", f.workload.kind ? `${f.workload.kind} ${f.workload.name} (from ${f.workload.inferredFrom})` : "—"],
        ["Image", f.image || "—"],
        ["Image digest", f.imageDigest || "—"],
        ["Container id", f.containerId || "—"],
      ]),
      section("Policy and timing", [
        ["Policy", f.policy || "(agent default)"],
        ["Mode in force", f.mode],
        ["First seen (UTC)", utc(f.firstSeen)],
        ["Last seen (UTC)", utc(f.lastSeen)],
        ["Count", String(f.count)],
        ["Received (UTC)", utc(f.received)],
      ]),
      triage(d, session, (updated) => show(main, updated, session)),
      exceptionPanel(`/api/findings/${encodeURIComponent(f.id)}/exception`, "this finding"),
    ),
  );
  title.focus();
}

function executionSection(f: FindingView): HTMLElement {
  return section("Execution", [
    ["Path", f.path],
    ["Copy of (image file)", f.copyOf || "—"],
    ["SHA-256", f.sha256 || "(not computed)"],
    ["Host path", f.hostPath],
    ["Reason", REASONS[f.reason] ?? f.reason],
    ["Verdict", f.verdict],
    ["Action", EXEC_ACTIONS[f.action] ?? f.action],
    ["Severity", f.severity],
    ...(f.truncated.length ? [["Cut by the agent", f.truncated.join(", ")] as [string, string]] : []),
    ["MITRE ATT&CK", f.attack.map((t) => (t.name ? `${t.id} ${t.name}` : t.id)).join("; ") || "—"],
    ["Written by", writerText(f.writer)],
  ]);
}

function processSection(f: FindingView): HTMLElement {
  return section("Process", [
    ["Calling program", f.process.exe || "(gone)"],
    ["Command line", f.process.cmdline || "(not readable)"],
    ["PID / UID", `${f.process.pid} / ${f.process.uid}`],
    ["Parent", f.process.parentExe || "(gone)"],
    ["Parent PID", String(f.process.ppid)],
  ]);
}

/** A container's posture has no exec: the property, what the spec shows, the rule it breaks. */
function postureSection(f: FindingView, p: NonNullable<FindingView["posture"]>): HTMLElement {
  return section("Posture", [
    ["Property", REASONS[f.reason] ?? f.reason],
    ["What it means", p.meaning],
    ["Spec field", p.specField],
    ["Spec shows", p.value],
    ["Pod Security rule", `${p.pssLevel}: ${p.pssControl}`],
    ["GuardDuty type", p.guardDutyType || "—"],
    ["Verdict", f.verdict === "blocked" ? "stopped (the task was killed)" : f.verdict],
    ["Init process PID / UID", `${f.process.pid} / ${f.process.uid}`],
  ]);
}

function section(name: string, rows: [string, string][]): HTMLElement {
  return h(
    "section",
    { class: "panel" },
    h("h2", null, name),
    h("dl", null, ...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", { class: "value" }, safeText(v, LONG))])),
  );
}

function triage(d: FindingDetailResponse, session: SessionResponse, onUpdate: (d: FindingDetailResponse) => void) {
  const f: FindingView = d.finding;
  const message = h("p", { class: "triage-message", role: "alert" });
  const comment = h("textarea", { id: "triage-comment", rows: 3, maxlength: 4096 });
  const actions = d.next.map((to) => {
    const label = to === "acknowledged" && f.triage.status !== "new" ? "Reopen" : (ACTIONS[to] ?? to);
    const button = h("button", { type: "button", class: "triage-action", "data-status": to }, label);
    button.addEventListener("click", () => {
      if (to === "false_positive" && !comment.value.trim()) {
        message.textContent = "Say why it is a false positive in the comment.";
        comment.focus();
        return;
      }
      apiPost<FindingDetailResponse>(`/api/findings/${encodeURIComponent(f.id)}/triage`, {
        status: to,
        comment: comment.value,
      }).then(
        (updated) => {
          announce(`Finding ${STATUSES[to] ?? to}`);
          onUpdate(updated);
        },
        (error: Error) => (message.textContent = error.message),
      );
    });
    return button;
  });
  const form = session.canTriage
    ? h(
        "div",
        { class: "triage-form" },
        h("label", { for: "triage-comment" }, "Comment"),
        comment,
        h("div", { class: "actions" }, ...actions),
        message,
      )
    : h("p", null, `You can read findings; triage needs the triager or admin role (you are ${session.role}).`);
  return h(
    "section",
    { class: "panel triage" },
    h("h2", null, "Review"),
    h(
      "p",
      null,
      "Status: ",
      h(
        "span",
        { class: `status ${f.triage.status}`, id: "triage-status" },
        STATUSES[f.triage.status] ?? f.triage.status,
      ),
    ),
    form,
    h("h3", null, "History"),
    d.history.length === 0
      ? h("p", { class: "empty" }, "No review yet.")
      : h(
          "ol",
          { class: "history" },
          ...d.history.map((e) =>
            h(
              "li",
              { "data-kind": e.kind },
              h("time", { datetime: e.time }, utc(e.time)),
              e.kind === "recurred" ? " recurred:" : "",
              ` ${STATUSES[e.from] ?? e.from} → ${STATUSES[e.to] ?? e.to} by `,
              h("strong", null, safeText(e.actor, LONG)),
              e.comment ? h("q", null, safeText(e.comment, LONG)) : null,
            ),
          ),
        ),
  );
}
