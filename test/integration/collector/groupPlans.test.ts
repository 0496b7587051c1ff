// The groups view at a million stored findings (SQLite): the first page of "group by
// SHA-256", by workload and by image reads only that grouping's covering index (never the
// table), and "all in this group" is a range of the same index, no sort. Asserted on
// EXPLAIN QUERY PLAN and on the rows (timings: test/bench/review.bench.ts).
import * as assert from "node:assert/strict";

import type { GroupBy } from "../../../src/collector/store/FindingStore";
import { groupsSql } from "../../../src/collector/store/groups";
import { SQLITE } from "../../../src/collector/store/query";
import type { SqliteStore } from "../../../src/collector/store/SqliteStore";
import { MANY_BINARIES, MANY_WORKLOADS, manyFindingSha256, manyFindingsStore } from "../../testbed/manyFindings";

const N = 1_000_000;

describe("groups at 1 000 000 findings (SQLite)", function () {
  this.timeout(180_000);
  let store: SqliteStore;
  let remove: () => Promise<void>;

  before(async () => {
    ({ store, remove } = await manyFindingsStore(N, "million-groups"));
  });
  after(async () => remove?.());

  const groupings: [GroupBy, string, number][] = [
    ["sha256", "findings_sha256_group", MANY_BINARIES],
    ["workload", "findings_workload_group", MANY_WORKLOADS],
    ["image", "findings_image_group", 30],
  ];
  for (const [by, index, groups] of groupings) {
    it(`group by ${by}, first page: a scan of ${index} alone, never of the table`, async () => {
      const { sql, params } = groupsSql({}, by, 50, "", SQLITE);
      const plan = store.queryPlan(sql, params).join(" | ");
      assert.match(plan, new RegExp(`^SCAN findings USING COVERING INDEX ${index}\\b`));
      assert.doesNotMatch(plan, /SCAN findings( \||$)/, "the table itself is never read");
      // The index is in key order already: the rows are never sorted, only the groups are.
      assert.doesNotMatch(plan, /TEMP B-TREE FOR GROUP BY/);
      const size = Math.min(50, groups - 1);
      const page = await store.groups({}, by, size, "");
      assert.equal(page.groups.length, size);
      // The seeded groups are all of one size (±1): every finding is counted in its group.
      for (const g of page.groups) assert.ok(Math.abs(g.findings - N / groups) < 1, `${g.key}: ${g.findings}`);
      assert.ok(page.nextPageToken);
      const second = await store.groups({}, by, size, page.nextPageToken);
      assert.ok(
        second.groups[0].key.join("/") > page.groups[size - 1].key.join("/"),
        "the next page continues after the key",
      );
    });
  }

  it("says how far one binary spread: findings, pods, nodes", async () => {
    const page = await store.groups({ sha256: manyFindingSha256(7) }, "sha256", 10, "");
    assert.deepEqual(
      page.groups.map((g) => [g.key[0], g.findings, g.nodes]),
      [[manyFindingSha256(7), N / MANY_BINARIES, 50]],
    );
  });

  const members: [GroupBy, string[], string][] = [
    ["sha256", [manyFindingSha256(7)], "findings_sha256_group \\(sha256=\\?\\)"],
    [
      "workload",
      ["ns-7", "deployment", "app-7"],
      "findings_workload_group \\(k8s_namespace=\\? AND workload_kind=\\? AND workload_name=\\?\\)",
    ],
    ["image", ["registry.local/app-7:1"], "findings_image_group \\(image=\\?\\)"],
  ];
  for (const [by, key, range] of members) {
    it(`all in one ${by} group: a range of its index, newest first, no sort`, async () => {
      const query = { group: { by, key } };
      const { sql, params } = store.listSql(query, 50, "", "first_seen_desc");
      const plan = store.queryPlan(sql, params).join(" | ");
      assert.match(plan, new RegExp(`^SEARCH findings USING INDEX ${range}$`));
      assert.doesNotMatch(plan, /TEMP B-TREE/);
      const page = await store.list(query, 50, "", "first_seen_desc");
      assert.equal(page.findings.length, 50);
      const times = page.findings.map((f) => f.firstSeenMs);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
      );
      const deep = await store.list(query, 50, page.nextPageToken, "first_seen_desc");
      assert.ok(deep.findings[0].firstSeenMs < times[49], "the next page continues after the key");
    });
  }
});
