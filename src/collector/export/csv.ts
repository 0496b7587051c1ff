// Findings as CSV (RFC 4180: CRLF, every field quoted when needed). Paths and command lines
// come from containers, i.e. possibly from an attacker: control and direction characters
// are written as visible escapes (util/visibleText.ts: a CSV read in a terminal or a
// spreadsheet must not act on them, nor reorder a cell), and a cell starting with = + - @
// gets a leading apostrophe so that spreadsheets show it as text instead of evaluating it.
import type { FindingView } from "../../api/findingView";
import { visibleText } from "../../util/visibleText";

const COLUMNS: [string, (f: FindingView) => string | number][] = [
  ["id", (f) => f.id],
  ["first_seen", (f) => f.firstSeen],
  ["last_seen", (f) => f.lastSeen],
  ["count", (f) => f.count],
  ["cluster", (f) => f.cluster],
  ["node", (f) => f.node],
  ["namespace", (f) => f.namespace],
  ["pod", (f) => f.pod],
  ["container", (f) => f.container],
  ["container_id", (f) => f.containerId],
  ["image", (f) => f.image],
  ["image_digest", (f) => f.imageDigest],
  ["path", (f) => f.path],
  ["host_path", (f) => f.hostPath],
  ["sha256", (f) => f.sha256],
  ["copy_of", (f) => f.copyOf],
  ["reason", (f) => f.reason],
  ["verdict", (f) => f.verdict],
  ["action", (f) => f.action],
  ["severity", (f) => f.severity],
  ["workload_kind", (f) => f.workload.kind],
  ["workload_name", (f) => f.workload.name],
  ["truncated", (f) => f.truncated.join(" ")],
  ["attack_techniques", (f) => f.attack.map((t) => t.id).join(" ")],
  ["policy", (f) => f.policy],
  ["mode", (f) => f.mode],
  ["pid", (f) => f.process.pid],
  ["ppid", (f) => f.process.ppid],
  ["uid", (f) => f.process.uid],
  ["executable", (f) => f.process.exe],
  ["command_line", (f) => f.process.cmdline],
  ["parent_executable", (f) => f.process.parentExe],
  ["exec_session", (f) => (f.lineage ? String(f.lineage.execSession) : "")],
  ["lineage", (f) => (f.lineage?.processes ?? []).map((p) => `${p.pid}:${p.exe}`).join(" < ")],
  ["written_by_pid", (f) => f.writer?.pid ?? ""],
  ["written_by", (f) => (f.writer ? `${f.writer.exe} [${f.writer.cmdline}]` : "")],
  ["written_at", (f) => f.writer?.time ?? ""],
  ["triage_status", (f) => f.triage.status],
  ["triage_actor", (f) => f.triage.actor],
  ["triage_comment", (f) => f.triage.comment],
  ["triage_updated", (f) => f.triage.updated],
  ["received", (f) => f.received],
  // Posture findings' evidence (empty for exec findings): appended, so that earlier columns keep their places.
  ["posture_property", (f) => f.posture?.property ?? ""],
  ["posture_spec_field", (f) => f.posture?.specField ?? ""],
  ["posture_value", (f) => f.posture?.value ?? ""],
  ["posture_key", (f) => f.posture?.key ?? ""],
  ["pod_security_rule", (f) => (f.posture ? `${f.posture.pssLevel}: ${f.posture.pssControl}` : "")],
  ["guardduty_type", (f) => f.posture?.guardDutyType ?? ""],
];

export function csvCell(value: string | number): string {
  let text = typeof value === "string" ? visibleText(value) : String(value);
  if (typeof value === "string" && /^[=+\-@]/.test(text)) text = "'" + text;
  return /[",\r\n']/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return COLUMNS.map(([name]) => name).join(",") + "\r\n";
}

export function csvRow(f: FindingView): string {
  return COLUMNS.map(([, get]) => csvCell(get(f))).join(",") + "\r\n";
}
