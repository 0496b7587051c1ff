// The per-caller bounds as data structures: the webhook's queue shared fairly between
// nodes, and the watch budget of bytes a caller's readers have not taken.
import * as assert from "node:assert/strict";

import { UnackedBytes } from "../../../src/collector/limits/UnackedBytes";
import { FairShareQueue } from "../../../src/collector/webhook/FairShareQueue";

describe("fair share queue", () => {
  it("keeps room for every node while one floods it", () => {
    const queue = new FairShareQueue<string>(100);
    for (let i = 0; i < 10_000; i++) queue.push("flood", `f${i}`);
    assert.equal(queue.size, 100);
    assert.equal(queue.push("flood", "more"), "dropped", "the flood has the whole queue: its own new entries go");
    for (let i = 0; i < 30; i++) assert.equal(queue.push("node-b", `b${i}`), "evicted", `b${i}`);
    for (let i = 0; i < 30; i++) queue.push("node-c", `c${i}`);
    assert.equal(queue.size, 100);
    assert.equal(queue.waiting("node-b"), 30);
    assert.equal(queue.waiting("node-c"), 30);
    assert.equal(queue.waiting("flood"), 40);
    // Each of three sources may hold a third; beyond it a source's new entries are dropped.
    for (let i = 30; i < 40; i++) queue.push("node-b", `b${i}`);
    assert.equal(queue.waiting("node-b"), 33);
    assert.equal(queue.push("node-b", "b-over"), "dropped");
  });

  it("takes from the nodes in turn, each node's in order", () => {
    const queue = new FairShareQueue<string>(100);
    for (let i = 0; i < 5; i++) queue.push("flood", `f${i}`);
    queue.push("b", "b0");
    queue.push("b", "b1");
    queue.push("c", "c0");
    const order: string[] = [];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) order.push(item);
    assert.deepEqual(order, ["f0", "b0", "c0", "f1", "b1", "f2", "f3", "f4"]);
    assert.equal(queue.size, 0);
    assert.equal(queue.sourceCount, 0);
  });

  it("evicts the flood's newest entries, keeping its oldest", () => {
    const queue = new FairShareQueue<string>(4);
    for (let i = 0; i < 4; i++) queue.push("flood", `f${i}`);
    queue.push("b", "b0");
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift()], ["f0", "b0", "f1", "f2"]);
  });
});

describe("unacknowledged watch bytes", () => {
  it("lets a caller's streams send until the budget is used, then wait for the reader", async () => {
    let total = 0;
    const budget = new UnackedBytes(1000, (bytes) => (total = bytes));
    const a = budget.stream("alice");
    const b = budget.stream("alice");
    const other = budget.stream("bob");
    const ackA = a.sent(600);
    assert.ok(b.ready);
    const ackB = b.sent(600);
    assert.equal(a.ready || b.ready, false, "alice's two streams share one budget");
    assert.ok(other.ready, "bob's budget is his own");
    assert.equal(total, 1200);
    let woken = false;
    const waiting = b.whenReady().then(() => (woken = true));
    await Promise.resolve();
    assert.equal(woken, false);
    ackA();
    await waiting;
    assert.equal(budget.unacked("alice"), 600);
    ackA(); // twice counts once
    assert.equal(budget.unacked("alice"), 600);
    b.close(); // a cancelled stream never acknowledges: its bytes are released
    assert.equal(budget.unacked("alice"), 0);
    ackB();
    assert.equal(budget.unacked("alice"), 0, "a closed stream's late ack changes nothing");
    a.close();
    other.close();
    assert.equal(total, 0);
  });
});
