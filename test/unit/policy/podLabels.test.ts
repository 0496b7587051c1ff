// Pod labels: from the sandbox for CRI containers (never from the app container's own
// labels, which include its image's), from the container itself outside CRI.
import * as assert from "node:assert/strict";

import { SandboxLabelIndex } from "../../../src/policy/podLabels";
import type { ContainerRecord } from "../../../src/runtime/types";
import { containerRecord } from "./fixtures";

function record(id: string, labels: Record<string, string>): ContainerRecord {
  return containerRecord(id, labels);
}

const POD = {
  "io.kubernetes.pod.uid": "uid-1",
  "io.kubernetes.pod.namespace": "shop",
  "io.kubernetes.pod.name": "web-0",
};
const sandbox = record("sb", { ...POD, "io.cri-containerd.kind": "sandbox", app: "web", tier: "fe" });
// CRI merges the image's labels into the app container's: "app: admin" here is the image's.
const app = record("c1", {
  ...POD,
  "io.cri-containerd.kind": "container",
  "io.kubernetes.container.name": "web",
  app: "admin",
});

describe("pod labels", () => {
  it("a CRI app container has no labels until its sandbox is seen, then the sandbox's", () => {
    const index = new SandboxLabelIndex();
    assert.equal(index.labelsFor(app), undefined);
    assert.equal(index.observe(app), false, "an app container teaches nothing");
    assert.equal(index.observe(sandbox), true);
    assert.deepEqual(index.labelsFor(app), { app: "web", tier: "fe" });
    assert.deepEqual(index.labelsFor(sandbox), { app: "web", tier: "fe" });
    assert.equal(index.observe(sandbox), false, "seen again, unchanged");
    assert.equal(index.observe(record("sb", { ...sandbox.labels, tier: "be" })), true, "changed");
    index.forget(sandbox);
    assert.equal(index.labelsFor(app), undefined);
  });

  it("keeps pods apart by namespace and uid", () => {
    const index = new SandboxLabelIndex();
    index.observe(sandbox);
    const otherPod = record("c2", { ...app.labels, "io.kubernetes.pod.uid": "uid-2" });
    assert.equal(index.labelsFor(otherPod), undefined);
  });

  it("a container outside CRI uses its own labels, without the runtime's", () => {
    const index = new SandboxLabelIndex();
    const plain = record("ctr", { "io.kubernetes.pod.namespace": "shop", "io.containerd.x": "y", app: "web" });
    assert.deepEqual(index.labelsFor(plain), { app: "web" });
  });
});
