// Triage as Security Hub's BatchUpdateFindings takes it: Security Hub keeps a provider's
// Workflow only when BatchImportFindings creates a finding, so a later review decision
// reaches Security Hub only through BatchUpdateFindings, which the customer's account
// calls (permission securityhub:BatchUpdateFindings; the collector holds no AWS
// credentials). One request body per line, for
//   aws securityhub batch-update-findings --cli-input-json "$line"
// Each request applies one Workflow, VerificationState and Note to at most 100 findings,
// so findings are grouped by (status, actor, comment). Note.Text and UpdatedBy are at most
// 512 characters.
import type { FindingView } from "../../api/findingView";
import { WORKFLOW, asffId, cut, productArn, type AsffOptions } from "./asff";

export const WORKFLOW_BATCH = 100;

const VERIFICATION: Record<string, string> = {
  new: "UNKNOWN",
  acknowledged: "UNKNOWN",
  resolved: "TRUE_POSITIVE",
  false_positive: "FALSE_POSITIVE",
};

/** Collects findings and yields BatchUpdateFindings requests as their groups fill up. */
export class WorkflowUpdates {
  private readonly groups = new Map<string, { status: string; actor: string; comment: string; ids: string[] }>();

  constructor(private readonly o: AsffOptions) {}

  /** Adds a finding; returns a full request when its group reached 100 findings. */
  add(f: FindingView): string {
    if (!f.triage.actor) return ""; // never triaged: its Workflow is the one it was created with
    const key = JSON.stringify([f.triage.status, f.triage.actor, f.triage.comment]);
    const group = this.groups.get(key) ?? {
      status: f.triage.status,
      actor: f.triage.actor,
      comment: f.triage.comment,
      ids: [],
    };
    this.groups.set(key, group);
    group.ids.push(asffId(f));
    if (group.ids.length < WORKFLOW_BATCH) return "";
    this.groups.delete(key);
    return this.request(group);
  }

  /** The requests of every group not yet full. */
  flush(): string {
    const out = [...this.groups.values()].map((g) => this.request(g)).join("");
    this.groups.clear();
    return out;
  }

  private request(g: { status: string; actor: string; comment: string; ids: string[] }): string {
    const arn = productArn(this.o);
    const note = `${g.status.replace("_", " ")} in driftguard${g.comment ? `: ${g.comment}` : ""}`;
    return (
      JSON.stringify({
        FindingIdentifiers: g.ids.map((Id) => ({ Id, ProductArn: arn })),
        Workflow: { Status: WORKFLOW[g.status] ?? "NEW" },
        VerificationState: VERIFICATION[g.status] ?? "UNKNOWN",
        Note: { Text: cut(note, 512), UpdatedBy: cut(g.actor, 512) },
      }) + "\n"
    );
  }
}
