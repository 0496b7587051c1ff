// Exports: ASFF checked against a schema of BatchImportFindings' requirements, CSV quoting
// and spreadsheet-formula neutralising, on findings with every shape the store holds.
import * as assert from "node:assert/strict";
import Ajv from "ajv";

import { findingView, type FindingView } from "../../../src/api/findingView";
import { asffFinding, partitionOf } from "../../../src/collector/export/asff";
import { csvCell, csvHeader, csvRow } from "../../../src/collector/export/csv";
import { apiFromStored } from "../../../src/collector/records";
import type { StoredFinding } from "../../../src/collector/store/FindingStore";
import { findingRecord } from "../../testbed/findingFixtures";
import { batchImportFindingsSchema } from "./asffSchema";

function view(i: number, over: Partial<StoredFinding> = {}): FindingView {
  return findingView(
    apiFromStored({
      ...findingRecord(i),
      triageStatus: "new",
      triageActor: "",
      triageComment: "",
      triageUpdatedMs: 0,
      receivedMs: Date.UTC(2026, 0, 2),
      raisedMs: Date.UTC(2026, 0, 2),
      ...over,
    }),
  );
}

const OPTIONS = { accountId: "123456789012", region: "eu-west-1" };

describe("findings export", () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(batchImportFindingsSchema);
  const findings = [
    view(1),
    view(2, { verdict: "audited", reason: "modified", policyName: "prod", policyMode: "audit" }),
    view(3, {
      triageStatus: "false_positive",
      triageActor: "alice",
      triageComment: "build",
      triageUpdatedMs: Date.UTC(2026, 0, 3),
    }),
    view(4, { containerId: "", pod: "", k8sNamespace: "", reason: "deadline_exceeded", pid: 0, ppid: 0 }),
    view(5, { path: "/" + "x".repeat(5000), cmdline: "y".repeat(9000), image: "" }),
    // A row from before techniques were stored: its reason's and copy's, derived when read.
    view(6, { attackTechniques: "", reason: "fileless", copyOf: "/bin/ls" }),
    // An id a newer agent knows and this build does not.
    view(7, { attackTechniques: "T1105,T9999.001" }),
  ];

  it("writes ASFF that BatchImportFindings' schema accepts", () => {
    const request = { Findings: findings.map((f) => asffFinding(f, OPTIONS)) };
    assert.ok(validate(request), JSON.stringify(validate.errors, null, 2));
    type Asff = {
      ProductArn: string;
      Severity: { Label: string };
      Workflow: { Status: string };
      RecordState: string;
      UpdatedAt: string;
      FirstObservedAt: string;
      Resources: { Type: string; Details?: { Container: { ImageName: string } } }[];
      ProductFields: Record<string, string>;
      Process: { Name: string };
      Types: string[];
      FindingProviderFields: { Types: string[]; Severity: { Label: string } };
    };
    const [blocked, audited, suppressed, unattributed, , older, newer] = request.Findings as unknown as Asff[];
    const ttps = (f: Asff) => f.Types.filter((t) => /\/T\d/.test(t));
    assert.deepEqual(ttps(blocked), ["TTPs/Command and Control/T1105"]);
    assert.deepEqual(blocked.FindingProviderFields.Types, blocked.Types);
    assert.equal(blocked.FindingProviderFields.Severity.Label, "MEDIUM");
    assert.deepEqual(ttps(older), ["TTPs/Defense Evasion/T1620", "TTPs/Defense Evasion/T1036.003"]);
    assert.deepEqual(ttps(newer), ["TTPs/Command and Control/T1105", "TTPs/Execution/T9999.001"]);
    assert.equal(older.ProductFields["driftguard/AttackTechniques"], "T1620 T1036.003");
    assert.deepEqual(
      findings[0].attack,
      [{ id: "T1105", name: "Ingress Tool Transfer", tactic: "Command and Control" }],
      "the API's view names each technique",
    );
    assert.equal(blocked.ProductArn, "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default");
    assert.equal(blocked.Severity.Label, "MEDIUM");
    assert.equal(audited.Severity.Label, "CRITICAL", "a modified binary that ran");
    assert.equal(unattributed.Severity.Label, "LOW");
    assert.deepEqual([blocked.Workflow.Status, blocked.RecordState], ["NEW", "ACTIVE"]);
    assert.deepEqual([suppressed.Workflow.Status, suppressed.RecordState], ["SUPPRESSED", "ARCHIVED"]);
    assert.equal(suppressed.UpdatedAt, "2026-01-03T00:00:00.000Z", "a triage change updates the finding");
    assert.equal(blocked.Resources[0].Type, "Container");
    assert.equal(blocked.Resources[0].Details!.Container.ImageName, "registry.local/shop/web:1");
    assert.equal(unattributed.Resources[0].Type, "Other");
    assert.equal(blocked.ProductFields["driftguard/Reason"], "new_file");
    assert.equal(blocked.Process.Name, "1");
    assert.equal(blocked.FirstObservedAt, findings[0].firstSeen);
    assert.equal(partitionOf("cn-north-1"), "aws-cn");
    assert.equal(partitionOf("us-gov-west-1"), "aws-us-gov");
  });

  it("writes a posture finding with its GuardDuty-equivalent type, Pod Security check and no process", () => {
    const posture = (reason: StoredFinding["reason"], field: string, value: string, key = "") =>
      view(10, {
        reason,
        path: "",
        sha256: "",
        hostPath: "",
        verdict: "audited",
        action: "audited",
        postureField: field,
        postureValue: value,
        postureKey: key,
      });
    const privileged = posture(
      "posture_privileged",
      "process.capabilities.bounding, linux.resources.devices",
      "40 capabilities",
    );
    const mount = posture("posture_sensitive_mount", "mounts[7]", "/ -> /host (read-only)", "/host");
    const pid = posture("posture_host_pid", "linux.namespaces", "no pid namespace of its own: the host's");
    const request = { Findings: [privileged, mount, pid].map((f) => asffFinding(f, OPTIONS)) };
    assert.ok(validate(request), JSON.stringify(validate.errors, null, 2));
    type Asff = Record<string, unknown> & {
      Types: string[];
      FindingProviderFields: { Types: string[]; Severity: { Label: string } };
    };
    const [p, m, h] = request.Findings as unknown as Asff[];
    assert.deepEqual(p.Types, [
      "TTPs/Privilege Escalation/PrivilegeEscalation:Kubernetes-PrivilegedContainer",
      "Software and Configuration Checks/Industry and Regulatory Standards/Kubernetes Pod Security Standards baseline",
    ]);
    assert.deepEqual(p.FindingProviderFields.Types, p.Types);
    assert.equal(p.FindingProviderFields.Severity.Label, "HIGH");
    assert.equal(m.Types[0], "TTPs/Persistence/Persistence:Kubernetes-ContainerWithSensitiveMount");
    assert.deepEqual(h.Types, [
      "Software and Configuration Checks/Industry and Regulatory Standards/Kubernetes Pod Security Standards baseline",
    ]);
    assert.equal(p.Process, undefined, "a posture finding is about a container, not an exec");
    assert.match(String(p.Title), /^Container with risky posture \(privileged\) in shop\/web-0\/web$/);
    assert.match(
      String(p.Description),
      /can mount filesystems.*drift prevention cannot be complete.*Privileged Containers/,
    );
    assert.equal(
      (p.ProductFields as Record<string, string>)["driftguard/GuardDutyType"],
      "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
    );
    const drift = asffFinding(findings[0], OPTIONS) as unknown as Asff;
    assert.deepEqual(drift.FindingProviderFields.Types, [
      "TTPs/Execution",
      "Unusual Behaviors/Process",
      "TTPs/Command and Control/T1105", // its ATT&CK technique (issue 16)
    ]);
  });

  it("the schema refuses what Security Hub refuses", () => {
    const good = asffFinding(findings[0], OPTIONS);
    for (const [what, bad] of [
      ["no Resources", { ...good, Resources: [] }],
      ["a long title", { ...good, Title: "t".repeat(257) }],
      ["a bad account", { ...good, AwsAccountId: "1234" }],
      ["an unknown severity", { ...good, Severity: { Label: "SEVERE" } }],
      ["a type outside the namespaces", { ...good, Types: ["Drift/Execution"] }],
    ] as const) {
      assert.equal(validate({ Findings: [bad] }), false, what);
    }
    assert.equal(validate({ Findings: Array(101).fill(good) }), false, "at most 100 per request");
  });

  it("writes CSV that spreadsheets show as text", () => {
    assert.equal(csvCell("plain"), "plain");
    assert.equal(csvCell('say "hi", then'), '"say ""hi"", then"');
    assert.equal(csvCell('=HYPERLINK("http://x")'), '"\'=HYPERLINK(""http://x"")"');
    assert.equal(csvCell("-c 'curl x'"), "\"'-c 'curl x'\"");
    assert.equal(csvCell("a\nb"), "a\\nb", "a newline is shown, not a line break");
    assert.equal(csvCell("/tmp/\x1b[2Jx\u202etxt.exe"), "/tmp/\\e[2Jx\\u202etxt.exe");
    assert.equal(csvCell(-1), "-1", "numbers stay numbers");
    const header = csvHeader().trimEnd().split(",");
    const row = csvRow(view(9, { cmdline: "@SUM(A1)" }));
    assert.ok(row.endsWith("\r\n"));
    assert.equal(header[0], "id");
    assert.match(row, /^f000009,2026-01-01T00:00:09\.000Z,/);
    assert.match(row, /"'@SUM\(A1\)"/);
    const columns = (line: string) => Object.fromEntries(header.map((name, i) => [name, line.trimEnd().split(",")[i]]));
    const exec = columns(row);
    assert.deepEqual(
      [exec.posture_property, exec.posture_spec_field, exec.posture_key],
      ["", "", ""],
      "an exec finding has no posture evidence",
    );
    assert.deepEqual(
      [exec.exec_session, exec.written_by_pid, exec.written_by],
      ["true", "108", "/bin/busybox [cp /bin/busybox /tmp/x/ls]"],
    );
    const posture = columns(
      csvRow(
        view(10, {
          reason: "posture_runtime_socket",
          path: "",
          postureField: "mounts[8]",
          postureValue: "/run/containerd (writable): the container runtime's socket /run/containerd/containerd.sock",
          postureKey: "/rc",
        }),
      ),
    );
    assert.deepEqual(
      [posture.posture_property, posture.posture_spec_field, posture.posture_key, posture.pod_security_rule],
      ["runtime_socket", "mounts[8]", "/rc", "baseline: HostPath Volumes"],
    );
    assert.equal(posture.guardduty_type, "Persistence:Kubernetes/ContainerWithSensitiveMount");
  });
});
