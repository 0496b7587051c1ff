// A finding as people and tools read it: a flat form with domain values ("new_file") and
// ISO times, shared by the CLI, the review page, the exports and the webhook. Its severity
// is the one model of src/domain/severity.ts, so every one of them shows the same.
import { severityOf } from "../domain/severity";
import { ATTACK_TECHNIQUE, isAttackTechniqueId } from "../domain/attackTechnique";
import { postureOf } from "../domain/posture";
import { actionOfVerdict } from "../domain/verdict";
import { workloadKindLabel } from "../domain/workload";
import {
  actionFromName,
  fromTimestamp,
  modeFromName,
  reasonFromName,
  triageFromName,
  verdictFromName,
  workloadKindFromName,
} from "./convert";
import type { ApiFinding, ApiLineage, ApiTriageEvent } from "./types";

export interface LineageView {
  processes: {
    pid: number;
    exe: string;
    argv: string[];
    uid: number;
    gid: number;
    user: string;
    /** ISO time, "" when unknown. */
    started: string;
    inContainer: boolean;
  }[];
  execSession: boolean;
  complete: boolean;
}

/** A posture finding's evidence, with what its reason means (src/domain/posture.ts). */
export interface PostureView {
  /** The policy's name of the property: privileged, host_pid, sensitive_mount, … */
  property: string;
  specField: string;
  value: string;
  key: string;
  /** The Pod Security Standards level and control it breaks. */
  pssLevel: string;
  pssControl: string;
  /** The GuardDuty finding type for the same condition, "" when there is none. */
  guardDutyType: string;
  meaning: string;
}

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
  /** What was done to the exec: refused, killed or audited. */
  action: string;
  /** INFORMATIONAL, LOW, MEDIUM, HIGH or CRITICAL (domain/severity.ts). */
  severity: string;
  /** The owning workload: kind as Kubernetes writes it ("Deployment"), "" when unknown. */
  workload: { kind: string; name: string; inferredFrom: string };
  /** Fields the agent cut to fit ("process.command_line"); they end with "…". */
  truncated: string[];
  /** MITRE ATT&CK techniques; name and tactic "" for an id this build does not know. */
  attack: { id: string; name: string; tactic: string }[];
  /** The exec'ing process and its ancestors; null from an agent before lineage. */
  lineage: LineageView | null;
  /** Who last wrote the executed file; null when none was seen. */
  writer: { pid: number; uid: number; exe: string; cmdline: string; time: string } | null;
  policy: string;
  mode: string;
  process: { pid: number; ppid: number; uid: number; exe: string; cmdline: string; parentExe: string };
  /** recurred: the last change was a recurrence reopening the finding. */
  triage: { status: string; actor: string; comment: string; updated: string; recurred: boolean };
  received: string;
  /** Only on posture findings. */
  posture?: PostureView;
}

const iso = (ts: ApiFinding["firstSeen"]): string => {
  const ms = fromTimestamp(ts);
  return ms === undefined ? "" : new Date(ms).toISOString();
};

export function findingView(f: ApiFinding): FindingView {
  const reason = reasonFromName(f.reason) ?? String(f.reason);
  const verdict = verdictFromName(f.verdict) ?? String(f.verdict);
  const kind = f.workload ? workloadKindFromName(f.workload.kind) : undefined;
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
    reason,
    verdict,
    action: actionOf(f),
    severity: severityOf(reason, verdict),
    workload: {
      kind: kind ? workloadKindLabel(kind) : "",
      name: f.workload?.name ?? "",
      inferredFrom: f.workload?.inferredFrom ?? "",
    },
    truncated: [...(f.truncatedFields ?? [])],
    attack: (f.attackTechniques ?? []).map(attackView),
    lineage: f.lineage ? lineageView(f.lineage) : null,
    writer: f.writer?.pid
      ? {
          pid: f.writer.pid,
          uid: Number(f.writer.uid),
          exe: f.writer.executable,
          cmdline: f.writer.commandLine,
          time: iso(f.writer.time),
        }
      : null,
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
      recurred: f.lastTriage?.kind === "TRIAGE_EVENT_KIND_RECURRED",
    },
    received: iso(f.received),
    ...postureView(f),
  };
}

function postureView(f: ApiFinding): { posture?: PostureView } {
  const reason = reasonFromName(f.reason);
  const entry = reason && postureOf(reason);
  if (!entry || !f.posture) return {};
  return {
    posture: {
      property: entry.property,
      specField: f.posture.specField,
      value: f.posture.value,
      key: f.posture.key,
      pssLevel: entry.pss.level,
      pssControl: entry.pss.control,
      guardDutyType: entry.guardDuty ?? "",
      meaning: entry.meaning,
    },
  };
}

export function eventView(e: ApiTriageEvent): {
  time: string;
  from: string;
  to: string;
  actor: string;
  comment: string;
  /** "recurred" when the collector reopened the finding, else "triage". */
  kind: string;
} {
  return {
    time: iso(e.time),
    from: triageFromName(e.from) ?? "",
    to: triageFromName(e.to) ?? "",
    actor: e.actor,
    comment: e.comment,
    kind: e.kind === "TRIAGE_EVENT_KIND_RECURRED" ? "recurred" : "triage",
  };
}

/** The finding's action; one from an agent before actions existed follows from its verdict. */
function actionOf(f: ApiFinding): string {
  const action = actionFromName(f.action ?? "ACTION_UNSPECIFIED");
  if (action) return action;
  const verdict = verdictFromName(f.verdict);
  return verdict ? actionOfVerdict(verdict) : "";
}

function attackView(id: string): FindingView["attack"][number] {
  return isAttackTechniqueId(id) ? { id, ...ATTACK_TECHNIQUE[id] } : { id, name: "", tactic: "" };
}

function lineageView(l: ApiLineage): LineageView {
  return {
    processes: (l.processes ?? []).map((p) => ({
      pid: p.pid,
      exe: p.executable,
      argv: p.argv ?? [],
      uid: Number(p.uid),
      gid: Number(p.gid),
      user: p.user,
      started: iso(p.startTime),
      inContainer: p.inContainer,
    })),
    execSession: l.execSession,
    complete: l.complete,
  };
}
