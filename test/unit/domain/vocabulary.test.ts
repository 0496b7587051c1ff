// The domain vocabulary (src/domain/) against everything that repeats it outside
// TypeScript: the proto's enums (numbers and names, both ways) and the names the native
// addon gives its enums. Adding a reason to src/domain/driftReason.ts without its proto
// value or its native name fails here; src/domain/README.md walks through the rest.
import * as assert from "node:assert/strict";

import { apiRoot, API_PACKAGE } from "../../../src/api/apiProto";
import {
  actionFromName,
  actionName,
  agentStatusFromName,
  agentStatusName,
  modeFromName,
  modeName,
  reasonFromName,
  reasonName,
  verdictFromName,
  verdictName,
  workloadKindFromName,
  workloadKindName,
} from "../../../src/api/convert";
import { AGENT_STATUS, AGENT_STATUSES } from "../../../src/domain/agentStatus";
import {
  DRIFT_REASON,
  DRIFT_REASONS,
  isPostureReason,
  POSTURE_PREFIX,
  type Detector,
} from "../../../src/domain/driftReason";
import { POSTURE, POSTURE_PROPERTIES, postureOf } from "../../../src/domain/posture";
import { ACTION, ACTIONS, POLICY_MODE, POLICY_MODES, VERDICT, VERDICTS } from "../../../src/domain/verdict";
import { WORKLOAD_KIND, WORKLOAD_KINDS } from "../../../src/domain/workload";
import { nativeTestBinding } from "../../testbed/nativeTestBinding";

/** name → number of a proto enum, UNSPECIFIED included. */
function protoEnum(name: string): Record<string, number> {
  return { ...apiRoot().lookupEnum(`${API_PACKAGE}.${name}`).values };
}

const ENUMS = [
  { proto: "DriftReason", prefix: "DRIFT_REASON", table: DRIFT_REASON as Record<string, { proto: number }> },
  { proto: "Verdict", prefix: "VERDICT", table: VERDICT as Record<string, { proto: number }> },
  { proto: "PolicyMode", prefix: "POLICY_MODE", table: POLICY_MODE as Record<string, { proto: number }> },
  { proto: "Action", prefix: "ACTION", table: ACTION as Record<string, { proto: number }> },
  { proto: "WorkloadKind", prefix: "WORKLOAD_KIND", table: WORKLOAD_KIND as Record<string, { proto: number }> },
  { proto: "AgentStatus", prefix: "AGENT_STATUS", table: AGENT_STATUS as Record<string, { proto: number }> },
];

describe("domain vocabulary", () => {
  for (const { proto, prefix, table } of ENUMS) {
    it(`${proto}: every value has its proto enum value and every proto value its domain value`, () => {
      const expected: Record<string, number> = { [`${prefix}_UNSPECIFIED`]: 0 };
      for (const [value, entry] of Object.entries(table)) expected[`${prefix}_${value.toUpperCase()}`] = entry.proto;
      assert.deepEqual(protoEnum(proto), expected);
    });
  }

  it("the API's enum names convert to the domain's values and back", () => {
    for (const r of DRIFT_REASONS) assert.equal(reasonFromName(reasonName(r)), r);
    for (const v of VERDICTS) assert.equal(verdictFromName(verdictName(v)), v);
    for (const m of POLICY_MODES) assert.equal(modeFromName(modeName(m)), m);
    for (const a of ACTIONS) assert.equal(actionFromName(actionName(a)), a);
    for (const k of WORKLOAD_KINDS) assert.equal(workloadKindFromName(workloadKindName(k)), k);
    for (const st of AGENT_STATUSES) assert.equal(agentStatusFromName(agentStatusName(st)), st);
    assert.equal(reasonFromName("DRIFT_REASON_UNSPECIFIED"), undefined);
  });

  it('posture reasons are exactly the posture_* family, reported by "posture" alone, each with its words', () => {
    const posture = DRIFT_REASONS.filter((r) =>
      (DRIFT_REASON[r].detectedBy as readonly Detector[]).includes("posture"),
    );
    assert.deepEqual(
      posture,
      DRIFT_REASONS.filter((r) => r.startsWith(POSTURE_PREFIX)),
    );
    assert.deepEqual(posture, Object.keys(POSTURE));
    for (const r of posture) {
      assert.deepEqual(DRIFT_REASON[r].detectedBy, ["posture"], r);
      assert.equal(postureOf(r)?.property, r.slice(POSTURE_PREFIX.length), r);
      assert.ok(isPostureReason(r));
    }
    assert.equal(new Set(POSTURE_PROPERTIES).size, posture.length);
    assert.ok(!DRIFT_REASONS.filter((r) => !posture.includes(r)).some(isPostureReason));
  });

  describe("names of the native addon", () => {
    const native = nativeTestBinding().vocabulary();
    const detectedBy = (d: Detector) =>
      DRIFT_REASONS.filter((r) => (DRIFT_REASON[r].detectedBy as readonly Detector[]).includes(d));

    it('the exec guard reports exactly the reasons detected by "exec-guard"', () => {
      assert.equal(native.guardReasons[0], "none", "Reason::None first: judge() and plain allows");
      assert.deepEqual([...native.guardReasons.slice(1)].sort(), [...detectedBy("exec-guard")].sort());
    });

    it('the eBPF sensor reports exactly the reasons detected by "bpf-sensor"', () => {
      assert.deepEqual([...native.sensorReasons].sort(), [...detectedBy("bpf-sensor")].sort());
    });

    it("verdicts and modes have the same names", () => {
      assert.deepEqual(native.verdicts, ["allowed", ...VERDICTS], "allowed is a decision, never a finding");
      assert.deepEqual([...native.modes].sort(), [...POLICY_MODES].sort());
      assert.deepEqual([...native.actions].sort(), [...ACTIONS].sort());
    });
  });
});
