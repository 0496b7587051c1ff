import * as assert from "node:assert/strict";

import { Backoff } from "../../../src/util/backoff";

describe("Backoff", () => {
  it("doubles up to the cap, with jitter between half and all of the step", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    assert.deepEqual(
      Array.from({ length: 6 }, () => low.next()),
      [50, 100, 200, 400, 500, 500],
    );
    const high = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    assert.deepEqual(
      Array.from({ length: 6 }, () => high.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it("starts over after reset and never exceeds the default 5 s cap", () => {
    const backoff = new Backoff({}, () => 1);
    for (let i = 0; i < 100; i++) assert.ok(backoff.next() <= 5000);
    backoff.reset();
    assert.equal(backoff.next(), 250);
  });
});
