// How `driftguard findings` shows findings: a flat JSON form (domain values, ISO times) and
// a table for terminals.
import { fromTimestamp, modeFromName, reasonFromName, triageFromName, verdictFromName } from "../api/convert";
import type { ApiFinding, ApiTriageEvent } from "../api/types";

export interface FindingView {
  id: string;
  firstSeen: string;
  lastSeen: string;
  count: number;
  cluster: string;
  node: string;
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  containerId: string;
  image: string;
  imageDigest: string;
  path: string;
  hostPath: string;
  sha256: string;
  copyOf: string;
  reason: string;
  verdict: string;
  policy: string;
  mode: string;
  process: { pid: number; ppid: number; uid: number; exe: string; cmdline: string; parentExe: string };
  triage: { status: string; actor: string; comment: string; updated: string };
  received: string;
}

const iso = (ts: ApiFinding["firstSeen"]): string => {
  const ms = fromTimestamp(ts);
  return ms === undefined ? "" : new Date(ms).toISOString();
};

export function findingView(f: ApiFinding): FindingView {
  return {
    id: f.id,
    firstSeen: iso(f.firstSeen),
    lastSeen: iso(f.lastSeen),
    count: f.count,
    cluster: f.cluster,
    node: f.node,
    namespace: f.kubernetes?.namespace ?? "",
    pod: f.kubernetes?.pod ?? "",
    podUid: f.kubernetes?.podUid ?? "",
    container: f.kubernetes?.container ?? "",
    containerId: f.container?.id ?? "",
    image: f.container?.image ?? "",
    imageDigest: f.container?.imageDigest ?? "",
    path: f.path,
    hostPath: f.hostPath,
    sha256: f.sha256,
    copyOf: f.copyOf,
    reason: reasonFromName(f.reason) ?? String(f.reason),
    verdict: verdictFromName(f.verdict) ?? String(f.verdict),
    policy: f.policyName,
    mode: modeFromName(f.policyMode) ?? String(f.policyMode),
    process: {
      pid: f.process?.pid ?? 0,
      ppid: f.process?.parentPid ?? 0,
      uid: f.process?.uid ?? -1,
      exe: f.process?.executable ?? "",
      cmdline: f.process?.commandLine ?? "",
      parentExe: f.process?.parentExecutable ?? "",
    },
    triage: {
      status: triageFromName(f.triageStatus) ?? "",
      actor: f.lastTriage?.actor ?? "",
      comment: f.lastTriage?.comment ?? "",
      updated: iso(f.lastTriage?.time ?? null),
    },
    received: iso(f.received),
  };
}

export function eventView(e: ApiTriageEvent): {
  time: string;
  from: string;
  to: string;
  actor: string;
  comment: string;
} {
  return {
    time: iso(e.time),
    from: triageFromName(e.from) ?? "",
    to: triageFromName(e.to) ?? "",
    actor: e.actor,
    comment: e.comment,
  };
}

const COLUMNS: [string, (v: FindingView) => string, number][] = [
  ["LAST SEEN", (v) => v.lastSeen.replace("T", " ").slice(0, 19), 19],
  ["ID", (v) => v.id, 32],
  ["VERDICT", (v) => v.verdict, 8],
  ["REASON", (v) => v.reason, 17],
  ["COUNT", (v) => String(v.count), 5],
  ["POD", (v) => (v.pod ? `${v.namespace}/${v.pod}` : v.containerId.slice(0, 12)), 40],
  ["IMAGE", (v) => v.image, 40],
  ["PATH", (v) => v.path, 48],
  ["STATUS", (v) => v.triage.status, 14],
];

function cell(text: string, width: number): string {
  return text.length > width ? text.slice(0, width - 1) + "…" : text.padEnd(width);
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

export function details(v: FindingView, history: ReturnType<typeof eventView>[]): string {
  const lines: [string, string | number][] = [
    ["id", v.id],
    ["verdict", `${v.verdict} (${v.reason})`],
    ["path", v.path + (v.copyOf ? `  (copy of ${v.copyOf})` : "")],
    ["sha256", v.sha256],
    ["count", `${v.count}, first ${v.firstSeen}, last ${v.lastSeen}`],
    ["pod", `${v.namespace}/${v.pod} (uid ${v.podUid || "-"}), container ${v.container || "-"}`],
    ["container", v.containerId],
    ["image", `${v.image} ${v.imageDigest}`.trim()],
    ["node", `${v.node} (cluster ${v.cluster || "-"})`],
    [
      "process",
      `pid ${v.process.pid} uid ${v.process.uid}: ${v.process.exe} ${v.process.cmdline ? `(${v.process.cmdline})` : ""}`,
    ],
    ["parent", `pid ${v.process.ppid}: ${v.process.parentExe}`],
    ["policy", `${v.policy || "(default)"} mode ${v.mode}`],
    ["host path", v.hostPath],
    ["triage", v.triage.status + (v.triage.actor ? ` by ${v.triage.actor}: ${v.triage.comment}` : "")],
  ];
  const out = lines.map(([k, value]) => `${k.padEnd(10)} ${value}`);
  for (const e of history)
    out.push(`  ${e.time} ${e.from} → ${e.to} by ${e.actor}${e.comment ? `: ${e.comment}` : ""}`);
  return out.join("\n") + "\n";
}
