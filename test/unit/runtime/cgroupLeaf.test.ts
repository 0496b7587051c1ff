import * as assert from "node:assert/strict";

import { cgroupLeaf, containerCgroupMarkers } from "../../../src/runtime/cgroupLeaf";

describe("cgroupLeaf", () => {
  const rows: [string, string, string][] = [
    ["/default/c1", "c1", "c1"],
    ["/kubepods/besteffort/pod123/abc", "abc", "abc"],
    ["kubepods-besteffort-pod123.slice:cri-containerd:abc", "abc", "cri-containerd-abc.scope"],
    ["", "abc", "abc"],
  ];
  for (const [path, id, leaf] of rows) {
    it(`${JSON.stringify(path)} → ${leaf}`, () => assert.equal(cgroupLeaf(path, id), leaf));
  }
  it("marks Kubernetes and the watched namespaces as container cgroups", () => {
    assert.deepEqual(containerCgroupMarkers(["k8s.io"]), ["kubepods", "cri-containerd", "/k8s.io/"]);
  });
});
