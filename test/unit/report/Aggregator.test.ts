// Aggregation: identical execs counted under one id within the window, reported at once
// and then as the count grows; ids differ across windows, keys and agent restarts.
import * as assert from "node:assert/strict";

import type { ApiFinding } from "../../../src/api/types";
import { Aggregator } from "../../../src/report/Aggregator";
import { newIncarnation } from "../../../src/report/findingId";
import { driftFinding } from "../../testbed/findingFixtures";

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

describe("Aggregator", () => {
  let reports: ApiFinding[];
  let agg: Aggregator;
  beforeEach(() => {
    reports = [];
    agg = new Aggregator({ windowMs: 60_000, incarnation: "inc1", cluster: "prod" }, (f) => reports.push(f));
  });

  it("reports the first exec at once, then one count update for the repeats", () => {
    agg.observe(driftFinding(1, { time: at(0) }));
    assert.equal(reports.length, 1);
    assert.equal(reports[0].count, 1);
    assert.equal(reports[0].cluster, "prod");
    for (let i = 1; i <= 4; i++) agg.observe(driftFinding(1, { time: at(i * 1000) }));
    assert.equal(reports.length, 1, "repeats wait for a flush");
    agg.flush(Date.UTC(2026, 0, 1) + 5000);
    assert.equal(reports.length, 2);
    assert.equal(reports[1].id, reports[0].id);
    assert.equal(reports[1].count, 5);
    assert.equal(reports[1].lastSeen!.seconds - reports[1].firstSeen!.seconds, 4);
    agg.flush(Date.UTC(2026, 0, 1) + 6000);
    assert.equal(reports.length, 2, "nothing new, nothing reported");
  });

  it("keeps findings apart by container, path, hash, reason and verdict", () => {
    agg.observe(driftFinding(1, { time: at(0) }));
    agg.observe(driftFinding(2, { time: at(0) }));
    agg.observe(driftFinding(1, { time: at(0), sha256: "cd".repeat(32) }));
    agg.observe(driftFinding(1, { time: at(0), reason: "modified" }));
    agg.observe(driftFinding(1, { time: at(0), verdict: "audited" }));
    agg.observe(driftFinding(1, { time: at(0), container: { ...driftFinding(1).container, id: "c2" } }));
    assert.equal(new Set(reports.map((r) => r.id)).size, 6);
  });

  it("opens a new finding (new id) once the window has passed", () => {
    agg.observe(driftFinding(1, { time: at(0) }));
    agg.observe(driftFinding(1, { time: at(61_000) }));
    assert.equal(reports.length, 2);
    assert.notEqual(reports[0].id, reports[1].id);
  });

  it("closes expired windows on flush and reports their last count", () => {
    agg.observe(driftFinding(1, { time: at(0) }));
    agg.observe(driftFinding(1, { time: at(10) }));
    agg.flush(Date.UTC(2026, 0, 1) + 120_000);
    assert.equal(agg.size, 0);
    assert.equal(reports[reports.length - 1].count, 2);
  });

  it("gives a restarted agent (new incarnation) new ids for the same execs", () => {
    const other: ApiFinding[] = [];
    const restarted = new Aggregator({ windowMs: 60_000, incarnation: newIncarnation(), cluster: "prod" }, (f) =>
      other.push(f),
    );
    agg.observe(driftFinding(1, { time: at(0) }));
    restarted.observe(driftFinding(1, { time: at(0) }));
    assert.notEqual(other[0].id, reports[0].id);
    assert.match(reports[0].id, /^[0-9a-f]{32}$/);
  });

  it("closes the oldest aggregate when too many are open, without losing its count", () => {
    const small = new Aggregator({ windowMs: 60_000, maxOpen: 2, incarnation: "x", cluster: "" }, (f) =>
      reports.push(f),
    );
    small.observe(driftFinding(1, { time: at(0) }));
    small.observe(driftFinding(1, { time: at(1) }));
    small.observe(driftFinding(2, { time: at(2) }));
    small.observe(driftFinding(3, { time: at(3) }));
    assert.equal(small.size, 2);
    const first = reports.filter((r) => r.path === "/tmp/drift/1");
    assert.equal(first[first.length - 1].count, 2);
  });
});
