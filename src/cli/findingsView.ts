// How `driftguard findings` shows findings in a terminal: a table and a detail view of the
// flat form (src/api/findingView.ts). Every value from a finding goes through visibleText
// (util/visibleText.ts): a path holding ESC sequences, newlines or a right-to-left
// override prints as \e[2J, \n, \u202e, never as what they would do.
import type { eventView, FindingView } from "../api/findingView";
import { visibleText } from "../util/visibleText";

/** "ns/Deployment/name", "ns/pod" before workloads were known, or the container. */
export function workloadText(v: FindingView): string {
  if (v.workload.kind) return `${v.namespace}/${v.workload.kind}/${v.workload.name}`;
  if (v.pod) return `${v.namespace}/${v.pod}`;
  return v.containerId ? `container ${v.containerId.slice(0, 12)}` : "-";
}

// The path last: it is what a reviewer reads first and must never be cut.
const COLUMNS: [string, (v: FindingView) => string, number][] = [
  ["LAST SEEN (UTC)", (v) => v.lastSeen.replace("T", " ").slice(0, 19), 19],
  ["ID", (v) => v.id, 32],
  ["SEVERITY", (v) => v.severity, 8],
  ["VERDICT", (v) => v.verdict, 7],
  ["REASON", (v) => v.reason, 24],
  ["COUNT", (v) => String(v.count), 5],
  ["STATUS", (v) => v.triage.status + (v.triage.recurred ? "*" : ""), 14],
  ["NODE", (v) => v.node, 16],
  ["WORKLOAD", workloadText, 36],
  ["IMAGE", (v) => v.image, 36],
  // A posture finding has no path: what its spec shows instead.
  [
    "PATH",
    (v) =>
      v.posture ? `${v.posture.specField}: ${v.posture.value}` : v.path + (v.copyOf ? `  (copy of ${v.copyOf})` : ""),
    0,
  ],
];

/** A cell of `width` characters (0: as long as it is), escaped first so that the cut never splits an escape. */
export function cell(text: string, width: number): string {
  const shown = visibleText(text);
  if (width === 0) return shown;
  return shown.length > width ? shown.slice(0, width - 1) + "…" : shown.padEnd(width);
}

export function tableHeader(): string {
  return COLUMNS.map(([title, , width]) => cell(title, width))
    .join("  ")
    .trimEnd();
}

export function tableRow(v: FindingView): string {
  return COLUMNS.map(([, get, width]) => cell(get(v), width))
    .join("  ")
    .trimEnd();
}

/** 1 234 567: groups of three, as the review page writes counts. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
}

export function details(v: FindingView, history: ReturnType<typeof eventView>[]): string {
  const where: [string, string][] = [
    ["count", `${v.count}, first ${v.firstSeen}, last ${v.lastSeen}`],
    ["workload", v.workload.kind ? `${workloadText(v)} (inferred from ${v.workload.inferredFrom})` : "-"],
    ["pod", `${v.namespace}/${v.pod} (uid ${v.podUid || "-"}), container ${v.container || "-"}`],
    ["container", v.containerId],
    ["image", `${v.image} ${v.imageDigest}`.trim()],
    ["node", `${v.node} (cluster ${v.cluster || "-"})`],
  ];
  const policy: [string, string] = ["policy", `${v.policy || "(default)"} mode ${v.mode}`];
  const triage: [string, string] = [
    "triage",
    v.triage.status + (v.triage.actor ? ` by ${v.triage.actor}: ${v.triage.comment}` : ""),
  ];
  const p = v.posture;
  const lines: [string, string][] = p
    ? [
        // A container's posture has no exec: no path, hash, process or host path.
        ["id", v.id],
        ["severity", `${v.severity} (${v.verdict}, ${v.reason}): ${v.action}`],
        ["posture", `${p.property}: ${p.meaning}`],
        ["spec", `${p.specField}: ${p.value}`],
        ...where,
        policy,
        ["pod security", `${p.pssLevel}: ${p.pssControl}`],
        ...(p.guardDutyType ? [["guardduty", p.guardDutyType] as [string, string]] : []),
        triage,
      ]
    : [
        ["id", v.id],
        ["severity", `${v.severity} (${v.verdict}, ${v.reason}): ${v.action}`],
        ["path", v.path + (v.copyOf ? `  (copy of ${v.copyOf})` : "")],
        ["sha256", v.sha256],
        ...where,
        [
          "process",
          `pid ${v.process.pid} uid ${v.process.uid}: ${v.process.exe} ${v.process.cmdline ? `(${v.process.cmdline})` : ""}`,
        ],
        ["parent", `pid ${v.process.ppid}: ${v.process.parentExe}`],
        [
          "written by",
          v.writer ? writerText(v.writer) : "(no write seen: before the agent, through a mapping, or forgotten)",
        ],
        policy,
        ["att&ck", v.attack.map((t) => (t.name ? `${t.id} ${t.name}` : t.id)).join("; ") || "-"],
        ["host path", v.hostPath],
        triage,
      ];
  if (v.truncated.length > 0) lines.push(["truncated", `${v.truncated.join(", ")} (cut by the agent to fit)`]);
  const out = lines.map(([k, value]) => `${k.padEnd(10)} ${visibleText(value)}`);
  // A posture finding has no exec, so no lineage.
  if (!p) out.push(...lineageLines(v.lineage).map(visibleText));
  for (const e of history) {
    const what = e.kind === "recurred" ? "recurred: " : "";
    out.push(visibleText(`  ${e.time} ${what}${e.from} → ${e.to} by ${e.actor}${e.comment ? `: ${e.comment}` : ""}`));
  }
  return out.join("\n") + "\n";
}

/** The lineage, the exec'ing process first; one line per process. */
export function lineageLines(lineage: FindingView["lineage"]): string[] {
  if (!lineage || lineage.processes.length === 0) return [`${"lineage".padEnd(10)} (not reported)`];
  const how = lineage.execSession
    ? "exec session: entered the container through the runtime (runc / kubectl exec), not from its init"
    : lineage.complete
      ? "from the container's init"
      : "incomplete: an ancestor had exited";
  const out = [`${"lineage".padEnd(10)} ${how}`];
  for (const p of lineage.processes) {
    const who = p.inContainer ? `uid ${p.uid}${p.user ? ` (${p.user})` : ""} gid ${p.gid}` : "outside the container";
    out.push(
      `  pid ${p.pid} ${who}: ${p.exe || "(gone)"} [${p.argv.join(" ")}]${p.started ? ` since ${p.started}` : ""}`,
    );
  }
  return out;
}

function writerText(w: NonNullable<FindingView["writer"]>): string {
  return `pid ${w.pid} uid ${w.uid}: ${w.exe || "(exited before it was read)"}${w.cmdline ? ` [${w.cmdline}]` : ""} at ${w.time}`;
}
