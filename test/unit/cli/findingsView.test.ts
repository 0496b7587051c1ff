// `driftguard findings` in a terminal: a posture finding shows its property, what it
// means, the spec's evidence, its Pod Security rule and GuardDuty type in place of an
// exec's path, hash, process and host path; an exec finding shows what it always showed.
import * as assert from "node:assert/strict";

import { findingView, type FindingView } from "../../../src/api/findingView";
import { details, tableRow } from "../../../src/cli/findingsView";
import { apiFromStored } from "../../../src/collector/records";
import type { StoredFinding } from "../../../src/collector/store/FindingStore";
import { POSTURE } from "../../../src/domain/posture";
import { findingRecord } from "../../testbed/findingFixtures";

function view(over: Partial<StoredFinding> = {}): FindingView {
  const triage = { triageStatus: "new", triageActor: "", triageComment: "", triageUpdatedMs: 0 } as const;
  return findingView(apiFromStored({ ...findingRecord(1), ...triage, receivedMs: 0, raisedMs: 0, ...over }));
}

const keys = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/\s{2,}| (?=\S)/)[0]);

describe("findings in the terminal", () => {
  const privileged = view({
    reason: "posture_privileged",
    path: "",
    hostPath: "",
    sha256: "",
    verdict: "audited",
    action: "audited",
    postureField: "process.capabilities.bounding, linux.resources.devices",
    postureValue: "41 capabilities including CAP_SYS_ADMIN; every device allowed",
  });

  it("shows a posture finding's evidence instead of an exec's", () => {
    const text = details(privileged, []);
    assert.match(
      text,
      new RegExp(`^posture {4}privileged: ${POSTURE.posture_privileged.meaning.replace(/[()]/g, "\\$&")}$`, "m"),
    );
    assert.match(text, /^spec {7}process\.capabilities\.bounding, linux\.resources\.devices: 41 capabilities/m);
    assert.match(text, /^pod security baseline: Privileged Containers$/m);
    assert.match(text, /^guardduty {2}PrivilegeEscalation:Kubernetes\/PrivilegedContainer$/m);
    for (const exec of ["path", "sha256", "process", "parent", "host path"]) {
      assert.doesNotMatch(text, new RegExp(`^${exec} `, "m"), `no ${exec} line`);
    }
    assert.match(
      tableRow(privileged),
      /process\.capabilities\.bounding, linux\.resources\.devices: 41 capabilities including CAP_SYS_ADMIN; every device allowed$/,
    );
    const mount = view({ reason: "posture_host_pid", path: "", postureField: "linux.namespaces", postureValue: "x" });
    assert.doesNotMatch(details(mount, []), /^guardduty/m, "no GuardDuty line where there is no type");
  });

  it("shows an exec finding as before, with its investigation context (writer, ATT&CK, lineage)", () => {
    const text = details(view({ copyOf: "/bin/busybox" }), []);
    assert.deepEqual(keys(text), [
      "id",
      "severity",
      "path",
      "sha256",
      "count",
      "workload",
      "pod",
      "container",
      "image",
      "node",
      "process",
      "parent",
      "written",
      "policy",
      "att&ck",
      "host",
      "triage",
      "lineage",
      "",
      "",
    ]);
    assert.match(text, /^path {7}\/tmp\/drift\/1 {2}\(copy of \/bin\/busybox\)$/m);
    assert.match(tableRow(view()), /\/tmp\/drift\/1/);
  });
});
