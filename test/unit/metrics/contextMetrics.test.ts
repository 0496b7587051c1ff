// The investigation context's misses as metrics: each counter reads its source at scrape
// time; while write tracking is off its counters stay at 0.
import * as assert from "node:assert/strict";
import { Registry } from "prom-client";

import { registerContextMetrics } from "../../../src/metrics/contextMetrics";
import type { WriteTrackerStats } from "../../../src/native/writeTrackerBinding";

describe("context metrics", () => {
  it("reads the lineage budget and the write tracking's misses at scrape time", async () => {
    const registry = new Registry();
    const tracker: { stats?: WriteTrackerStats } = {};
    registerContextMetrics(registry, { lineage: () => ({ read: 10, skipped: 3 }), writes: () => tracker.stats });
    let text = await registry.metrics();
    assert.match(text, /^driftguard_finding_lineage_skipped_total 3$/m);
    assert.match(text, /^driftguard_write_events_overflow_total 0$/m, "off: nothing counted");
    tracker.stats = { events: 9, recorded: 8, overflows: 1, writerGone: 2, evicted: 4, tracked: 5 };
    text = await registry.metrics();
    assert.match(text, /^driftguard_write_events_overflow_total 1$/m);
    assert.match(text, /^driftguard_write_writer_gone_total 2$/m);
    assert.match(text, /^driftguard_write_files_evicted_total 4$/m);
  });
});
