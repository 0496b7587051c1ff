// The smaller parts of posture: the spec's security facts read from hostile JSON, capability
// masks from /proc, the stable finding id, and the reporter's handling of posture findings.
import * as assert from "node:assert/strict";

import type { ApiFinding } from "../../../src/api/types";
import { checkFinding } from "../../../src/api/validateFinding";
import { reasonsMatching } from "../../../src/domain/driftReason";
import { POSTURE_REASONS } from "../../../src/domain/posture";
import { capabilitiesOfMask } from "../../../src/posture/capabilities";
import { judgePosture } from "../../../src/posture/judgePosture";
import { postureFinding } from "../../../src/posture/postureFinding";
import { Aggregator } from "../../../src/report/Aggregator";
import { postureFindingId } from "../../../src/report/findingId";
import { parseSecuritySpec } from "../../../src/runtime/securitySpec";
import { containerRecord } from "../policy/fixtures";
import { bind, DEFAULT_BOUNDING, facts, plainMounts, plainSpec } from "./specs";

describe("posture parts", () => {
  it("reads a spec's security facts, and malformed fields as absent with a problem each", () => {
    const spec = parseSecuritySpec({
      process: { user: { uid: 1000 }, noNewPrivileges: true, capabilities: { bounding: ["CAP_KILL"] } },
      linux: {
        namespaces: [{ type: "pid", path: "/proc/1/ns/pid" }, { type: "network" }],
        seccomp: { defaultAction: "SCMP_ACT_ERRNO", syscalls: [{}] },
      },
    });
    assert.equal(spec.uid, 1000);
    assert.deepEqual(spec.bounding, ["CAP_KILL"]);
    assert.deepEqual(spec.namespaces, [{ type: "pid", path: "/proc/1/ns/pid" }, { type: "network" }]);
    assert.deepEqual(spec.seccomp, { defaultAction: "SCMP_ACT_ERRNO", rules: 1 });
    assert.deepEqual(spec.problems, []);
    const hostile = parseSecuritySpec({
      process: { user: { uid: -1 }, capabilities: { bounding: "ALL" }, apparmorProfile: 7 },
      linux: { namespaces: "none", maskedPaths: [1], resources: { devices: {} }, seccomp: [] },
    });
    assert.equal(hostile.uid, 0, "an invalid uid reads as root");
    assert.equal(hostile.bounding, undefined, "the process then tells");
    assert.deepEqual(hostile.namespaces, [], "no namespace of its own: the host's");
    assert.equal(hostile.seccomp, undefined, "no seccomp");
    assert.equal(hostile.problems.length, 7, hostile.problems.join("; "));
  });

  it("reads capability masks of /proc/<pid>/status", () => {
    assert.deepEqual(capabilitiesOfMask("00000000a80425fb")?.sort(), [...DEFAULT_BOUNDING].sort());
    const privileged = capabilitiesOfMask("000001fffeffffff")!;
    assert.equal(privileged.length, 40);
    assert.ok(privileged.includes("CAP_SYS_ADMIN") && !privileged.includes("CAP_SYS_RESOURCE"));
    assert.equal(capabilitiesOfMask("zz"), undefined);
  });

  it("a glob of reasons finds them in proto order", () => {
    assert.deepEqual(reasonsMatching("posture_*"), [...POSTURE_REASONS]);
    assert.deepEqual(reasonsMatching("new_file"), ["new_file"]);
    assert.deepEqual(reasonsMatching("posture_host_*"), [
      "posture_host_pid",
      "posture_host_ipc",
      "posture_host_network",
    ]);
    assert.deepEqual(reasonsMatching("nope"), []);
  });

  it("gives a posture finding an id stable per container, property and verdict, whatever the agent's start", () => {
    const parts = {
      cluster: "c",
      node: "n",
      containerNamespace: "k8s.io",
      containerId: "abc",
      reason: "posture_privileged",
      key: "",
      verdict: "audited",
    };
    assert.equal(postureFindingId(parts), postureFindingId({ ...parts }));
    assert.notEqual(postureFindingId(parts), postureFindingId({ ...parts, verdict: "blocked" }));
    assert.notEqual(postureFindingId(parts), postureFindingId({ ...parts, key: "/host" }));
    assert.notEqual(postureFindingId(parts), postureFindingId({ ...parts, containerId: "abd" }));
  });

  it("reports a posture finding at once, count 1, under the same id from two agent incarnations", () => {
    const record = containerRecord("c1", { "io.kubernetes.pod.name": "p" }, { security: plainSpec(), pid: 42 });
    const property = { reason: "posture_host_pid" as const, specField: "linux.namespaces", value: "v", key: "" };
    const policy = { name: "p", mode: "audit" as const, level: "baseline" as const, stop: false, allow: [] };
    const finding = postureFinding(property, record, policy, false, "node-a", Date.UTC(2026, 0, 1));
    const ids: string[] = [];
    for (const incarnation of ["aaaa", "bbbb"]) {
      const out: ApiFinding[] = [];
      new Aggregator({ incarnation, cluster: "prod" }, (f) => out.push(f)).observe(finding);
      assert.equal(out.length, 1);
      assert.equal(out[0].count, 1);
      assert.equal(out[0].reason, "DRIFT_REASON_POSTURE_HOST_PID");
      assert.deepEqual(out[0].posture, { specField: "linux.namespaces", value: "v", key: "" });
      assert.equal(out[0].process?.pid, 42);
      ids.push(out[0].id);
    }
    assert.equal(ids[0], ids[1]);
    assert.equal(finding.posture?.guardDuty, "");
    assert.match(finding.posture!.meaning, /^host PID namespace/);
  });

  it("keeps a finding reportable whatever the length of a container's mount paths (no evasion by a long path)", () => {
    const long = (c: string) => "/" + c.repeat(4090);
    const [property] = judgePosture(facts({ mounts: [...plainMounts(), bind(`/etc/${"s".repeat(4000)}`, long("d"))] }));
    assert.equal(property.reason, "posture_sensitive_mount");
    const record = containerRecord("c1", { "io.kubernetes.pod.name": "p" }, { security: plainSpec(), pid: 42 });
    const policy = { name: "p", mode: "audit" as const, level: "baseline" as const, stop: false, allow: [] };
    const out: ApiFinding[] = [];
    const aggregator = new Aggregator({ incarnation: "aaaa", cluster: "prod" }, (f) => out.push(f));
    aggregator.observe(postureFinding(property, record, policy, false, "node-a"));
    assert.equal(checkFinding(out[0]), "", "the agent would drop an invalid finding");
    assert.match(out[0].posture!.value, /^\/etc\/s+… -> \/d+… \(writable\): the host's configuration/);
    assert.ok(out[0].posture!.key.startsWith("/ddd"));
    const label = `system_u:system_r:spc_t:${"s0,".repeat(5000)}`;
    const [lsm] = judgePosture(facts({ spec: plainSpec({ selinuxLabel: label }) }));
    aggregator.observe(postureFinding(lsm, record, policy, false, "node-a"));
    assert.equal(out[1].reason, "DRIFT_REASON_POSTURE_UNCONFINED_LSM");
    assert.equal(checkFinding(out[1]), "", "a long SELinux label is cut, not a reason to drop the finding");
    assert.equal(out[1].posture!.value.length, 4096);
  });
});
