// PostureMonitor as the attacher drives it: once per container across policy refreshes,
// task restarts and detaches; a policy change that takes an exception away reports then;
// CRI sandboxes and records without a spec are not judged; posture.enforce stops a task
// once per task, and a failed stop is logged, never thrown.
import * as assert from "node:assert/strict";

import type { NativePolicy } from "../../../src/native/binding";
import { PostureMonitor } from "../../../src/posture/PostureMonitor";
import type { PosturePolicy } from "../../../src/policy/posturePolicy";
import type { PolicySource } from "../../../src/policy/PolicySource";
import type { DriftFinding } from "../../../src/report/DriftFinding";
import type { ContainerRecord } from "../../../src/runtime/types";
import { containerRecord, memoryLogger } from "../policy/fixtures";
import { bind, plainMounts, plainSpec, privilegedSpec, TEST_HOST } from "./specs";

const NATIVE: NativePolicy = { name: "default", mode: "audit", allowPaths: [], allowDigests: [] };
const AUDIT: PosturePolicy = { name: "audit-all", mode: "audit", level: "baseline", stop: false, allow: [] };

/** A privileged pod container with the host's / mounted: two properties. */
function privileged(pid = 100, fields: Partial<ContainerRecord> = {}): ContainerRecord {
  const labels = {
    "io.kubernetes.pod.namespace": "shop",
    "io.kubernetes.pod.name": "web-0",
    "io.kubernetes.container.name": "web",
    "io.cri-containerd.kind": "container",
  };
  return containerRecord("c1", labels, {
    pid,
    security: privilegedSpec(),
    mounts: [...plainMounts("rw"), bind("/", "/host", "ro")],
    ...fields,
  });
}

function monitor(initial: PosturePolicy = AUDIT) {
  let posture = initial;
  const findings: DriftFinding[] = [];
  const stopped: number[] = [];
  let stopFails = false;
  const { logger, lines } = memoryLogger();
  const policies: PolicySource = { policyFor: () => NATIVE, postureFor: () => posture, onChange: () => undefined };
  const m = new PostureMonitor({
    policies,
    host: TEST_HOST,
    processFacts: () => undefined,
    stopTask: (record) => {
      stopped.push(record.pid);
      return stopFails ? Promise.reject(new Error("Tasks.Kill: not found")) : Promise.resolve();
    },
    report: (f) => findings.push(f),
    node: "node-a",
    logger,
  });
  return {
    m,
    findings,
    stopped,
    lines,
    reasons: () => findings.map((f) => `${f.reason} ${f.verdict}`),
    setPolicy: (p: PosturePolicy) => (posture = p),
    failStops: () => (stopFails = true),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("PostureMonitor", () => {
  it("reports each property once per container: refreshes, a restarted task and a detach report nothing again", () => {
    const t = monitor();
    t.m.attach("k8s.io/c1", privileged(), NATIVE);
    assert.deepEqual(t.reasons(), ["posture_privileged audited", "posture_sensitive_mount audited"]);
    const [first] = t.findings;
    assert.deepEqual(
      [first.k8s.pod, first.container.id, first.posture!.specField, first.action],
      ["web-0", "c1", "process.capabilities.bounding, linux.resources.devices", "audited"],
    );
    t.m.attach("k8s.io/c1", privileged(), NATIVE); // a policy refresh
    t.m.attach("k8s.io/c1", privileged(101), NATIVE); // the task restarted
    t.m.detach("k8s.io/c1");
    t.m.attach("k8s.io/c1", privileged(102), NATIVE);
    assert.equal(t.findings.length, 2);
  });

  it("reports a property when a policy change takes its exception away, and nothing in mode disabled", () => {
    const t = monitor({ ...AUDIT, allow: [{ property: "privileged", reason: "the CNI" }] });
    t.m.attach("k8s.io/c1", privileged(), NATIVE);
    assert.deepEqual(t.reasons(), ["posture_sensitive_mount audited"]);
    assert.ok(t.lines.some((l) => l.msg === "posture allowed by policy"));
    t.setPolicy(AUDIT);
    t.m.attach("k8s.io/c1", privileged(), NATIVE);
    assert.deepEqual(t.reasons(), ["posture_sensitive_mount audited", "posture_privileged audited"]);
    const other = monitor({ ...AUDIT, mode: "disabled" });
    other.m.attach("k8s.io/c1", privileged(), NATIVE);
    assert.deepEqual(other.findings, []);
  });

  it("judges neither a CRI sandbox nor a container whose spec was not read", () => {
    const t = monitor();
    const sandbox = privileged(100, { labels: { "io.cri-containerd.kind": "sandbox" } });
    t.m.attach("k8s.io/sandbox", sandbox, NATIVE);
    t.m.attach("k8s.io/c2", privileged(100, { id: "c2", security: undefined }), NATIVE);
    assert.deepEqual(t.findings, []);
    const plain = monitor();
    plain.m.attach("k8s.io/c3", privileged(100, { id: "c3", security: plainSpec(), mounts: plainMounts() }), NATIVE);
    assert.deepEqual(plain.findings, [], "a plain container has no property at baseline");
  });

  it("stops a forbidden container once per task, reports it blocked, and logs a failed stop", async () => {
    const enforce: PosturePolicy = { ...AUDIT, name: "no-privileged", mode: "enforce", stop: true };
    const t = monitor(AUDIT);
    t.m.attach("k8s.io/c1", privileged(), NATIVE);
    t.setPolicy(enforce); // audit → enforce: the same properties again, now as stopped
    t.m.attach("k8s.io/c1", privileged(), NATIVE);
    t.m.attach("k8s.io/c1", privileged(), NATIVE);
    assert.deepEqual(t.reasons(), [
      "posture_privileged audited",
      "posture_sensitive_mount audited",
      "posture_privileged blocked",
      "posture_sensitive_mount blocked",
    ]);
    assert.deepEqual(
      t.findings.slice(2).map((f) => [f.action, f.policy, f.mode]),
      [
        ["killed", "no-privileged", "enforce"],
        ["killed", "no-privileged", "enforce"],
      ],
    );
    assert.deepEqual(t.stopped, [100], "one stop for the task");
    t.failStops();
    t.m.attach("k8s.io/c1", privileged(101), NATIVE); // the runtime restarted it
    await settle();
    assert.deepEqual(t.stopped, [100, 101]);
    assert.equal(t.findings.length, 4, "its properties were reported already");
    const failed = t.lines.find((l) => String(l.msg).startsWith("could not stop the container"));
    assert.equal(failed?.err, "Tasks.Kill: not found");
  });
});
