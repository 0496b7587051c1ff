// What a policy makes of a container's posture: its Pod Security level, its exceptions
// (whole properties, or narrowed to host paths and capability names), and its mode.
import * as assert from "node:assert/strict";

import { applyPosturePolicy } from "../../../src/posture/applyPosturePolicy";
import { judgePosture } from "../../../src/posture/judgePosture";
import { posturePolicyOf, type PosturePolicy } from "../../../src/policy/posturePolicy";
import type { PostureException } from "../../../src/policy/types";
import { policy } from "../policy/fixtures";
import { bind, facts, plainMounts, plainSpec, privilegedSpec } from "./specs";

const base: PosturePolicy = { name: "p", mode: "audit", level: "baseline", stop: false, allow: [] };
const withAllow = (allow: PostureException[], over: Partial<PosturePolicy> = {}) => ({ ...base, allow, ...over });

const privilegedWithMounts = judgePosture(
  facts({
    spec: privilegedSpec(),
    mounts: [
      ...plainMounts("rw"),
      bind("/", "/host", "ro"),
      bind("/etc/cni/net.d", "/cni"),
      bind("/run/containerd", "/rc"),
    ],
  }),
);
const withCaps = judgePosture(
  facts({ spec: plainSpec({ bounding: [...plainSpec().bounding!, "CAP_NET_ADMIN", "CAP_SYS_ADMIN"] }) }),
);
const reasons = (o: ReturnType<typeof applyPosturePolicy>) => o.reported.map((p) => `${p.reason}:${p.key}`);

describe("applyPosturePolicy", () => {
  it("baseline reports baseline's properties; restricted adds restricted's", () => {
    const plain = judgePosture(facts({ spec: plainSpec({ noNewPrivileges: false }) }));
    assert.deepEqual(reasons(applyPosturePolicy(plain, base)), []);
    assert.deepEqual(reasons(applyPosturePolicy(plain, { ...base, level: "restricted" })), [
      "posture_no_seccomp:",
      "posture_root_escalation:",
    ]);
  });

  it("mode disabled judges nothing", () => {
    assert.deepEqual(applyPosturePolicy(privilegedWithMounts, { ...base, mode: "disabled" }), {
      reported: [],
      allowed: [],
    });
  });

  it("an exception of a property covers it, and says so with its reason", () => {
    const outcome = applyPosturePolicy(
      privilegedWithMounts,
      withAllow([{ property: "privileged", reason: "the CNI" }]),
    );
    assert.deepEqual(reasons(outcome), [
      "posture_sensitive_mount:/host",
      "posture_sensitive_mount:/cni",
      "posture_runtime_socket:/rc",
    ]);
    assert.deepEqual(
      outcome.allowed.map((a) => [a.property.reason, a.exception.reason]),
      [["posture_privileged", "the CNI"]],
    );
  });

  it("paths narrow a mount exception to those host paths (globs)", () => {
    const outcome = applyPosturePolicy(
      privilegedWithMounts,
      withAllow([{ property: "sensitive_mount", paths: ["/etc/cni/*"], reason: "CNI config" }]),
    );
    assert.deepEqual(reasons(outcome), [
      "posture_privileged:",
      "posture_sensitive_mount:/host",
      "posture_runtime_socket:/rc",
    ]);
  });

  it("capabilities narrow the capabilities exception: what is left is reported", () => {
    const partial = applyPosturePolicy(
      withCaps,
      withAllow([{ property: "capabilities", capabilities: ["CAP_NET_ADMIN"], reason: "routes" }]),
    );
    assert.deepEqual(reasons(partial), ["posture_capabilities:"]);
    assert.equal(partial.reported[0].value, "CAP_SYS_ADMIN (dangerous)");
    const all = applyPosturePolicy(
      withCaps,
      withAllow([{ property: "capabilities", capabilities: ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"], reason: "both" }]),
    );
    assert.deepEqual(reasons(all), []);
  });

  it("an exception of another property covers nothing", () => {
    const outcome = applyPosturePolicy(withCaps, withAllow([{ property: "host_pid", reason: "x" }]));
    assert.deepEqual(reasons(outcome), ["posture_capabilities:"]);
  });

  it("a resolved policy stops containers only in mode enforce with posture.enforce", () => {
    const p = policy("p", { mode: "enforce", posture: { level: "baseline", enforce: true } });
    assert.equal(posturePolicyOf({ name: "p", mode: "enforce", policy: p }).stop, true);
    assert.equal(posturePolicyOf({ name: "p", mode: "audit", policy: p }).stop, false, "enforceAfter not reached yet");
    const off = policy("q", { mode: "enforce" });
    assert.equal(posturePolicyOf({ name: "q", mode: "enforce", policy: off }).stop, false, "off by default");
    assert.deepEqual(posturePolicyOf({ name: "default", mode: "enforce" }), {
      name: "default",
      mode: "enforce",
      level: "baseline",
      stop: false,
      allow: [],
    });
  });
});
