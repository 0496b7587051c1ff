import * as assert from "node:assert/strict";

import { createLimiter } from "../../../src/baseline/limiter";

describe("createLimiter", () => {
  it("never runs more than its bound, even when jobs finish while others arrive", async () => {
    const limit = createLimiter(3);
    let running = 0;
    let peak = 0;
    const job = async (ms: number): Promise<number> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return ms;
    };
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => limit(() => job(i % 4))));
    assert.equal(peak, 3);
    assert.deepEqual(
      results,
      Array.from({ length: 40 }, (_, i) => i % 4),
    );
  });

  it("hands a finished job's slot to the waiter, not to a newcomer of the same tick", async () => {
    const limit = createLimiter(1);
    let running = 0;
    let peak = 0;
    const counted = (work: () => Promise<void>) => async () => {
      running++;
      peak = Math.max(peak, running);
      await work();
      running--;
    };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = limit(() => gate); // the limiter awaits the gate itself
    const waiter = limit(counted(() => new Promise((resolve) => setTimeout(resolve, 5))));
    // Runs right after the first job's slot is released, before the waiter's turn.
    const newcomer = gate.then(() => limit(counted(() => new Promise((resolve) => setTimeout(resolve, 5)))));
    release();
    await Promise.all([first, waiter, newcomer]);
    assert.equal(peak, 1);
  });

  it("frees the slot of a failed job", async () => {
    const limit = createLimiter(1);
    await assert.rejects(
      limit(() => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.equal(await limit(async () => 7), 7);
  });
});
