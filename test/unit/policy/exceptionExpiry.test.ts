// Time-limited exceptions: `expires` is parsed and checked by the loader, an entry past its
// time is gone from the policy a container gets (the native decision then blocks again),
// and `policy check` warns about one already past.
import * as assert from "node:assert/strict";

import { lapsedExceptions, nextExpiry } from "../../../src/policy/exceptionExpiry";
import { errorsOf } from "../../../src/policy/issues";
import { loadPolicyText } from "../../../src/policy/loadPolicies";
import { policyDocumentYaml } from "../../../src/policy/policyDocument";
import { resolvePolicy } from "../../../src/policy/resolve";
import { toNativePolicy } from "../../../src/policy/toNativePolicy";
import { nativeTestBinding } from "../../testbed/nativeTestBinding";
import { policyYaml, workload } from "./fixtures";

const AT = Date.parse("2030-01-01T08:00:00Z");

function load(allow: Record<string, unknown>) {
  return loadPolicyText(policyYaml("shop", { mode: "enforce", allow }), "p.yaml");
}

describe("time-limited exceptions (expires)", () => {
  it("are parsed on every kind of allow entry", () => {
    const result = load({
      paths: [{ path: "/tmp/x", reason: "r", expires: "2030-01-01T08:00:00Z" }],
      digests: [{ sha256: "a".repeat(64), reason: "r", expires: "2030-01-01T08:00:00Z" }],
      parents: [{ path: "/usr/bin/make", reason: "r", expires: "2030-01-01" }],
      volumes: [{ kind: "emptyDir", reason: "r", expires: "2030-01-01T09:00:00+01:00" }],
    });
    assert.deepEqual(result.issues, []);
    const { allow } = result.policies[0];
    assert.deepEqual(
      [
        allow.paths[0].expires,
        allow.digests[0].expires?.atMs,
        allow.parents[0].expires?.atMs,
        allow.volumes[0].expires?.atMs,
      ],
      [{ atMs: AT, text: "2030-01-01T08:00:00Z" }, AT, Date.parse("2030-01-01T00:00:00Z"), AT],
    );
  });

  it("refuses what is not a date and warns about one already past", () => {
    const bad = load({ paths: [{ path: "/tmp/x", reason: "r", expires: "2030-02-30" }] });
    assert.deepEqual(
      errorsOf(bad).map((i) => [i.code, i.field]),
      [["invalid_value", "spec.allow.paths[0].expires"]],
    );
    assert.match(errorsOf(bad)[0].message, /2030-02-30 is not a date/);
    const duration = load({ paths: [{ path: "/tmp/x", reason: "r", expires: "2h" }] });
    assert.equal(errorsOf(duration)[0]?.code, "invalid_value");
    const past = load({ paths: [{ path: "/tmp/x", reason: "r", expires: "2020-01-01" }] });
    assert.deepEqual(
      past.issues.map((i) => [i.severity, i.code]),
      [["warning", "exception_expired"]],
    );
  });

  it("are gone from the resolved policy once past, and the native decision blocks again", () => {
    const { policies } = load({ paths: [{ path: "/tmp/x", reason: "break glass", expires: "2030-01-01T08:00:00Z" }] });
    const judge = (nowMs: number) => {
      const r = resolvePolicy(workload(), policies, { defaultMode: "audit", nowMs });
      const decision = nativeTestBinding().judge({
        where: "writable_layer",
        containerPath: "/tmp/x",
        size: 10,
        digest: "b".repeat(64),
        imageHasOtherPath: false,
        policy: toNativePolicy(r, [], "/var/lib/kubelet/pods"),
      });
      return decision.verdict;
    };
    assert.equal(judge(AT - 1), "allowed");
    assert.equal(judge(AT), "blocked");
    assert.equal(nextExpiry(policies, AT - 1000), AT);
    assert.equal(nextExpiry(policies, AT), Infinity);
    assert.deepEqual(
      lapsedExceptions(policies, AT - 1000, AT).map((e) => [e.policy, e.entry, e.reason]),
      [["shop", "path /tmp/x", "break glass"]],
    );
    assert.deepEqual(lapsedExceptions(policies, AT, AT + 1000), []);
  });

  it("are written back as they were given", () => {
    const { policies } = load({ parents: [{ path: "/usr/bin/make", reason: "r", expires: "2030-01-01T08:00:00Z" }] });
    const text = policyDocumentYaml(policies[0], "round trip");
    assert.match(text, /expires: 2030-01-01T08:00:00Z/);
    assert.deepEqual(loadPolicyText(text, "again.yaml").policies[0].allow, policies[0].allow);
  });
});
