// Exceptions suggested from findings: every suggestion passes the loader of `policy check`,
// selects the findings' workloads and no other, and its entry lets the native decision
// allow exactly the exec that was found (hostile paths included), nothing next to it.
import * as assert from "node:assert/strict";

import { errorsOf } from "../../../src/policy/issues";
import { loadPolicyText } from "../../../src/policy/loadPolicies";
import { resolvePolicy } from "../../../src/policy/resolve";
import { suggestExceptions, type ExceptionSource } from "../../../src/policy/suggestException";
import { toNativePolicy } from "../../../src/policy/toNativePolicy";
import type { DriftPolicy } from "../../../src/policy/types";
import { nativeTestBinding, type JudgeCandidate } from "../../testbed/nativeTestBinding";
import { policy, workload } from "./fixtures";

const SHA = "ab".repeat(32);
const OTHER = "cd".repeat(32);

function finding(over: Partial<ExceptionSource> = {}): ExceptionSource {
  return {
    id: "3ef5900d76b19b18319516cc376ff032",
    namespace: "shop",
    container: "web",
    image: "docker.io/library/nginx:1.27",
    path: "/tmp/x/echo",
    sha256: SHA,
    reason: "new_file",
    mode: "enforce",
    policy: "production",
    process: { exe: "/usr/bin/make" },
    ...over,
  };
}

/** The suggestion's one policy, loaded as `policy check` loads it. */
function loaded(yaml: string): DriftPolicy {
  const result = loadPolicyText(yaml, "suggested.yaml");
  assert.deepEqual(errorsOf(result), [], yaml);
  assert.equal(result.issues.length, 0, yaml);
  assert.equal(result.policies.length, 1);
  return result.policies[0];
}

/** The native decision for an exec in a container under `p`. */
function judge(p: DriftPolicy, candidate: Partial<JudgeCandidate>): string {
  const native = toNativePolicy({ name: p.name, mode: p.mode, policy: p }, [], "/var/lib/kubelet/pods");
  const decision = nativeTestBinding().judge({
    where: "writable_layer",
    containerPath: "/tmp/x/echo",
    size: 100,
    digest: SHA,
    imageHasOtherPath: false,
    ...candidate,
    policy: native,
  });
  return decision.verdict === "allowed" ? "allowed" : `${decision.verdict} ${decision.reason}`;
}

describe("exceptions suggested from findings", () => {
  it("offers digest, path and parent, narrowest first, each allowing this exec and not its neighbours", () => {
    const suggestions = suggestExceptions([finding()], "our build step");
    assert.deepEqual(
      suggestions.map((s) => s.kind),
      ["digest", "path", "parent"],
    );
    const [digest, byPath, parent] = suggestions.map((s) => loaded(s.yaml));
    assert.equal(judge(digest, {}), "allowed");
    assert.equal(judge(digest, { digest: OTHER }), "blocked new_file");
    assert.equal(judge(byPath, { digest: OTHER }), "allowed");
    assert.equal(judge(byPath, { containerPath: "/tmp/x/cat" }), "blocked new_file");
    assert.equal(judge(parent, { containerPath: "/tmp/y", callerProgram: "/usr/bin/make" }), "allowed");
    assert.equal(judge(parent, { containerPath: "/tmp/y", callerProgram: "/bin/sh" }), "blocked new_file");
    for (const p of [digest, byPath, parent]) {
      assert.equal(p.allow.paths.concat(p.allow.digests as never, p.allow.parents)[0].reason, "our build step");
      assert.equal(p.priority, 1000);
      assert.equal(p.mode, "enforce");
    }
    assert.match(
      suggestions[0].yaml,
      /Policies are not merged: for the containers it selects this one replaces production/,
    );
  });

  it("selects only the finding's workload", () => {
    const p = loaded(suggestExceptions([finding()], "")[0].yaml);
    assert.deepEqual(p.selector, {
      namespaces: ["shop"],
      containers: ["web"],
      images: ["docker.io/library/nginx:1.27"],
    });
    const resolve = (w = workload()) => resolvePolicy(w, [p], { defaultMode: "audit", nowMs: 0 }).name;
    assert.equal(resolve(), p.name);
    assert.equal(resolve(workload({ namespace: "payments" })), "default");
    assert.equal(resolve(workload({ container: "sidecar" })), "default");
    assert.equal(resolve(workload({ image: "docker.io/library/nginx:1.28" })), "default");
    assert.match(p.allow.digests[0].reason, /allowed after review of finding 3ef5900d/);
  });

  it("allows a hostile path literally: globs, backslashes, newlines and bidi stay themselves", () => {
    const hostile = "/tmp/a*b?[c]\\d\n\u202etxt.exe";
    const suggestions = suggestExceptions([finding({ path: hostile, sha256: "" })], "");
    assert.deepEqual(
      suggestions.map((s) => s.kind),
      ["path", "parent"],
    );
    const text = suggestions[0].yaml;
    assert.doesNotMatch(text, /[\n][^\n]*\u202e/, "no raw bidi override in the text");
    assert.match(text, /\\u202e/);
    const p = loaded(text);
    assert.equal(judge(p, { containerPath: hostile }), "allowed");
    assert.equal(judge(p, { containerPath: "/tmp/aXb?[c]\\d\n\u202etxt.exe" }), "blocked new_file");
  });

  it("allows a volume finding by its directory", () => {
    const suggestions = suggestExceptions([finding({ reason: "volume", path: "/data/tools/run" })], "");
    const volume = suggestions.find((s) => s.kind === "volume")!;
    assert.deepEqual(
      suggestions.map((s) => s.kind),
      ["digest", "path", "volume", "parent"],
    );
    const p = loaded(volume.yaml);
    assert.equal(judge(p, { where: "volume", containerPath: "/data/tools/other", digest: OTHER }), "allowed");
    assert.equal(judge(p, { where: "volume", containerPath: "/data/x", digest: OTHER }), "blocked volume");
  });

  it("copies the policy in force, one priority above it, for this workload only", () => {
    const base = policy("production", {
      priority: 100,
      selector: { namespaces: ["shop", "prod-*"] },
      allow: { paths: [{ path: "/app/*.so", reason: "generated" }], digests: [], parents: [], volumes: [] },
      deny: [{ path: "/usr/bin/nc", reason: "no netcat" }],
    });
    const p = loaded(suggestExceptions([finding()], "ok", base)[0].yaml);
    assert.equal(p.name, `production-digest-3ef5900d76b1`);
    assert.equal(p.priority, 101);
    assert.deepEqual(p.deny, base.deny);
    assert.deepEqual(p.allow.paths, base.allow.paths);
    assert.deepEqual(p.allow.digests, [{ sha256: SHA, reason: "ok" }]);
    const resolve = (w = workload()) => resolvePolicy(w, [base, p], { defaultMode: "audit", nowMs: 0 }).name;
    assert.equal(resolve(), p.name);
    assert.equal(resolve(workload({ namespace: "prod-eu" })), "production");
  });

  it("for a group: only what every finding shares, selecting all their workloads", () => {
    const group = [finding(), finding({ id: "b2", namespace: "db", container: "pg", path: "/tmp/y/echo" })];
    const suggestions = suggestExceptions(group, "");
    assert.deepEqual(
      suggestions.map((s) => s.kind),
      ["digest", "parent"],
    );
    const p = loaded(suggestions[0].yaml);
    assert.deepEqual(p.selector.namespaces, ["db", "shop"]);
    assert.deepEqual(p.selector.containers, ["pg", "web"]);
    assert.match(suggestions[0].yaml, /Exception for driftguard 2 findings/);
  });

  it("leaves out a selector field whose value is no literal name", () => {
    const p = loaded(suggestExceptions([finding({ namespace: "a*", image: "evil image" })], "")[0].yaml);
    assert.deepEqual(p.selector, { containers: ["web"] });
  });
});
