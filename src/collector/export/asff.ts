// Findings in the AWS Security Finding Format (ASFF, SchemaVersion 2018-10-08), the shape
// Security Hub's BatchImportFindings accepts: {"Findings": [...]} with at most 100 findings
// per request. Field limits are the API reference's (Title 256, Description 1024,
// ProductFields 50 entries of 128/2048 characters). Severity and Types are set through
// FindingProviderFields, the fields a provider's later imports keep updating (top-level
// Severity and Types stay the same values, for readers of the raw records). Security Hub
// keeps a provider's Workflow only when it creates a finding; later triage reaches it
// through RecordState (ARCHIVED once resolved or a false positive) and UpdatedAt, and in
// full through BatchUpdateFindings (asffWorkflow.ts).
import * as path from "node:path";

import type { FindingView } from "../../api/findingView";
import { postureDescription, postureTitle, postureTypes } from "./asffPosture";

export const ASFF_BATCH = 100;

export interface AsffOptions {
  /** 12 digits. */
  accountId: string;
  region: string;
}

export const TYPES = ["TTPs/Execution", "Unusual Behaviors/Process"];

export const WORKFLOW: Record<string, string> = {
  new: "NEW",
  acknowledged: "NOTIFIED",
  resolved: "RESOLVED",
  false_positive: "SUPPRESSED",
};

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function cut(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

function workloadOf(f: FindingView): string {
  return f.pod ? `${f.namespace}/${f.pod}${f.container ? `/${f.container}` : ""}` : f.containerId || f.node;
}

export function asffFinding(f: FindingView, o: AsffOptions): Record<string, unknown> {
  const partition = partitionOf(o.region);
  const reason = f.reason.replace(/_/g, " ");
  const updated = [f.lastSeen, f.triage.updated].filter(Boolean).sort().pop()!;
  const productFields: Record<string, string> = {
    "driftguard/Reason": f.reason,
    "driftguard/Verdict": f.verdict,
    "driftguard/Action": f.action,
    "driftguard/Workload": f.workload.kind ? `${f.workload.kind}/${f.workload.name}` : "",
    "driftguard/Truncated": f.truncated.join(","),
    "driftguard/Count": String(f.count),
    "driftguard/Path": f.path,
    "driftguard/HostPath": f.hostPath,
    "driftguard/Sha256": f.sha256,
    "driftguard/CopyOf": f.copyOf,
    "driftguard/Policy": f.policy || "(agent default)",
    "driftguard/Mode": f.mode,
    "driftguard/Cluster": f.cluster,
    "driftguard/Node": f.node,
    "driftguard/Namespace": f.namespace,
    "driftguard/Pod": f.pod,
    "driftguard/CommandLine": f.process.cmdline,
    "driftguard/ParentExecutable": f.process.parentExe,
    "driftguard/TriageStatus": f.triage.status,
    "driftguard/TriageActor": f.triage.actor,
    "driftguard/TriageComment": f.triage.comment,
    "driftguard/PostureField": f.posture?.specField ?? "",
    "driftguard/PostureValue": f.posture?.value ?? "",
    "driftguard/PodSecurity": f.posture ? `${f.posture.pssLevel}: ${f.posture.pssControl}` : "",
    "driftguard/GuardDutyType": f.posture?.guardDutyType ?? "",
    "driftguard/AttackTechniques": f.attack.map((t) => t.id).join(" "),
    "driftguard/Lineage": (f.lineage?.processes ?? []).map((p) => `${p.pid}:${p.exe}`).join(" < "),
    "driftguard/ExecSession": f.lineage?.execSession ? "true" : "",
    "driftguard/WrittenBy": f.writer ? `${f.writer.pid}:${f.writer.exe} [${f.writer.cmdline}] at ${f.writer.time}` : "",
  };
  for (const [k, v] of Object.entries(productFields)) {
    if (v) productFields[k] = cut(v, 2048);
    else delete productFields[k]; // empty values are noise in the console
  }
  const resource = f.containerId
    ? {
        Type: "Container",
        Id: cut(f.pod ? `${f.cluster || "cluster"}/${workloadOf(f)}` : f.containerId, 512),
        Partition: partition,
        Region: o.region,
        Details: {
          Container: {
            Name: f.container || f.containerId,
            ...(f.image ? { ImageName: f.image } : {}),
            ...(f.imageDigest ? { ImageId: f.imageDigest } : {}),
          },
        },
      }
    : {
        Type: "Other",
        Id: cut(`${f.cluster || "cluster"}/node/${f.node}`, 512),
        Partition: partition,
        Region: o.region,
      };
  const severity = { Label: f.severity, Original: `${f.verdict}/${f.reason}` };
  const types = f.posture ? postureTypes(f.posture) : asffTypes(f);
  const workload = workloadOf(f);
  return {
    SchemaVersion: "2018-10-08",
    Id: asffId(f),
    ProductArn: productArn(o),
    GeneratorId: cut(`driftguard/${f.policy || "default-mode"}/${f.reason}`, 512),
    AwsAccountId: o.accountId,
    Types: types,
    CreatedAt: f.firstSeen,
    UpdatedAt: updated,
    FirstObservedAt: f.firstSeen,
    LastObservedAt: f.lastSeen,
    Severity: severity,
    // What the provider says, kept by Security Hub apart from what reviewers change there.
    FindingProviderFields: { Severity: severity, Types: types },
    Title: cut(
      f.posture
        ? postureTitle(f, f.posture, workload)
        : `${f.verdict === "blocked" ? "Blocked" : "Audited"} drift exec (${reason}) in ${workload}`,
      256,
    ),
    Description: cut(
      f.posture
        ? postureDescription(f, f.posture, workload)
        : `${f.path} was executed ${f.count} time(s) in ${workload} (image ${f.image || "unknown"}) but is not ` +
            `part of the container's image (${reason})${f.copyOf ? `; it is a copy of ${f.copyOf}` : ""}. ` +
            `Verdict ${f.verdict} under ${f.policy ? `policy ${f.policy}` : "the agent's default"} in ${f.mode} mode.`,
      1024,
    ),
    ProductFields: productFields,
    // A posture finding is about a container, not an exec: no process.
    ...(f.path
      ? {
          Process: {
            Name: cut(path.posix.basename(f.path) || f.path, 64),
            Path: cut(f.path, 512),
            ...(f.process.pid > 0 ? { Pid: f.process.pid } : {}),
            ...(f.process.ppid > 0 ? { ParentPid: f.process.ppid } : {}),
          },
        }
      : {}),
    Resources: [resource],
    RecordState: f.triage.status === "resolved" || f.triage.status === "false_positive" ? "ARCHIVED" : "ACTIVE",
    Workflow: { Status: WORKFLOW[f.triage.status] ?? "NEW" },
  };
}

/**
 * ASFF's "namespace/category/classifier" types: an exec of a program (always), and each
 * ATT&CK technique under its tactic ("TTPs/Command and Control/T1105"). An id this build
 * does not know keeps its place under the execution tactic.
 */
export function asffTypes(f: FindingView): string[] {
  const types = ["TTPs/Execution", "Unusual Behaviors/Process"];
  for (const t of f.attack) types.push(`TTPs/${t.tactic || "Execution"}/${t.id}`);
  return [...new Set(types)];
}

/** The finding's ASFF Id (BatchUpdateFindings names findings by it and the ProductArn). */
export function asffId(f: FindingView): string {
  return cut(`driftguard/${f.cluster || "cluster"}/${f.id}`, 512);
}

export function productArn(o: AsffOptions): string {
  return `arn:${partitionOf(o.region)}:securityhub:${o.region}:${o.accountId}:product/${o.accountId}/default`;
}
