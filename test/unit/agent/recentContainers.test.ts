// Findings of containers that already went still name them, for a while and within a bound.
import * as assert from "node:assert/strict";

import { RecentContainers } from "../../../src/agent/recentContainers";
import { splitContainerKey } from "../../../src/runtime/containerKey";

describe("RecentContainers", () => {
  it("keeps a gone container for its time, then forgets it", () => {
    const recent = new RecentContainers<string>(10, 1000);
    recent.remember("k8s.io/a", "pod-a", 0);
    assert.equal(recent.get("k8s.io/a", 1000), "pod-a");
    assert.equal(recent.get("k8s.io/a", 1001), undefined);
    assert.equal(recent.size, 0, "an expired one is dropped when asked for");
  });

  it("holds at most its capacity, dropping the longest gone first", () => {
    const recent = new RecentContainers<number>(3, 60_000);
    for (let i = 0; i < 5; i++) recent.remember(`ns/c${i}`, i, i);
    assert.equal(recent.size, 3);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => recent.get(`ns/c${i}`, 10)),
      [undefined, undefined, 2, 3, 4],
    );
    recent.remember("ns/c2", 22, 11); // gone again (restarted and went): the newest now
    recent.remember("ns/c5", 5, 12);
    assert.equal(recent.get("ns/c3", 13), undefined);
    assert.equal(recent.get("ns/c2", 13), 22);
  });

  it("forgets a container that came back", () => {
    const recent = new RecentContainers<string>();
    recent.remember("ns/a", "x");
    recent.forget("ns/a");
    assert.equal(recent.get("ns/a"), undefined);
  });

  it("splits a native key into namespace and id", () => {
    assert.deepEqual(splitContainerKey("k8s.io/abc"), { namespace: "k8s.io", id: "abc" });
    assert.deepEqual(splitContainerKey("abc"), { namespace: "", id: "abc" });
    assert.deepEqual(splitContainerKey(""), { namespace: "", id: "" });
  });
});
