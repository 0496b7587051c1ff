// spec.posture and spec.allow.posture through the agent's loader, and what `policy explain`
// says about them.
import * as assert from "node:assert/strict";

import { loadPolicyText } from "../../../src/policy/loadPolicies";
import { explainPosture } from "../../../src/policy/posturePolicy";
import { policyYaml } from "./fixtures";

function load(spec: Record<string, unknown>) {
  const result = loadPolicyText(policyYaml("p", spec), "p.yaml");
  return { policy: result.policies[0], issues: result.issues.map((i) => [i.severity, i.code, i.field]) };
}

describe("policy: posture", () => {
  it("reads the level, enforce and the exceptions (capabilities as CAP_ names)", () => {
    const { policy, issues } = load({
      mode: "enforce",
      posture: { level: "restricted", enforce: true },
      allow: {
        posture: [
          { property: "privileged", reason: "the CNI" },
          { property: "sensitive_mount", paths: ["/etc/cni/net.d"], reason: "CNI config" },
          { property: "capabilities", capabilities: ["NET_ADMIN", "CAP_NET_RAW"], reason: "routes" },
        ],
      },
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(policy.posture, { level: "restricted", enforce: true });
    assert.deepEqual(policy.allow.posture, [
      { property: "privileged", reason: "the CNI" },
      { property: "sensitive_mount", paths: ["/etc/cni/net.d"], reason: "CNI config" },
      { property: "capabilities", capabilities: ["CAP_NET_ADMIN", "CAP_NET_RAW"], reason: "routes" },
    ]);
  });

  it("leaves both out when the policy says nothing of posture (baseline, never stopped)", () => {
    const { policy } = load({ mode: "enforce" });
    assert.equal(policy.posture, undefined);
    assert.equal(policy.allow.posture, undefined);
  });

  const errors: [string, Record<string, unknown>, string[][]][] = [
    [
      "an unknown property",
      { allow: { posture: [{ property: "root", reason: "r" }] } },
      [["error", "invalid_value", "spec.allow.posture[0].property"]],
    ],
    [
      "an exception without a reason",
      { allow: { posture: [{ property: "privileged" }] } },
      [["error", "missing_field", "spec.allow.posture[0]"]],
    ],
    [
      "paths on a property that is no mount",
      { allow: { posture: [{ property: "privileged", paths: ["/"], reason: "r" }] } },
      [["error", "invalid_value", "spec.allow.posture[0].paths"]],
    ],
    [
      "capabilities on another property",
      { allow: { posture: [{ property: "host_pid", capabilities: ["SYS_ADMIN"], reason: "r" }] } },
      [["error", "invalid_value", "spec.allow.posture[0].capabilities"]],
    ],
    ["enforce that is no boolean", { posture: { enforce: "yes" } }, [["error", "wrong_type", "spec.posture.enforce"]]],
    [
      "a level that does not exist",
      { posture: { level: "strict" } },
      [["error", "invalid_value", "spec.posture.level"]],
    ],
  ];
  for (const [name, extra, expected] of errors) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(load({ mode: "enforce", ...extra }).issues, expected);
    });
  }

  it("warns that posture.enforce does nothing outside mode enforce", () => {
    assert.deepEqual(load({ mode: "audit", posture: { enforce: true } }).issues, [
      ["warning", "posture_enforce_ignored", "spec.posture.enforce"],
    ]);
  });

  it("explains the level, whether containers are stopped, and each exception with its reason", () => {
    const { policy } = load({
      mode: "enforce",
      posture: { enforce: true },
      allow: { posture: [{ property: "capabilities", capabilities: ["NET_ADMIN"], reason: "routes" }] },
    });
    assert.deepEqual(explainPosture({ name: "p", mode: "enforce", policy }), [
      "posture: judged against Pod Security baseline; a container with a posture no exception allows is stopped (posture.enforce)",
      "posture exceptions (these properties give no finding):",
      "  allow capabilities for CAP_NET_ADMIN: routes",
    ]);
    assert.deepEqual(explainPosture({ name: "default", mode: "disabled" }), ["posture: not judged (mode disabled)"]);
  });
});
