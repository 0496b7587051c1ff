// Keyset pagination at a million stored findings (SQLite): the first page and a deep page in
// every sort order, and with the review page's common filters, are index range scans, never a
// sort of the table. Asserted on EXPLAIN QUERY PLAN (timings: test/bench/review.bench.ts).
import * as assert from "node:assert/strict";

import type { FindingQuery, FindingSort } from "../../../src/collector/store/FindingStore";
import { encodePageToken } from "../../../src/collector/store/query";
import type { SqliteStore } from "../../../src/collector/store/SqliteStore";
import { FIXTURE_T0 } from "../../testbed/findingFixtures";
import { manyFindingId, manyFindingsStore } from "../../testbed/manyFindings";

const N = 1_000_000;

describe("review pagination at 1 000 000 findings (SQLite)", function () {
  this.timeout(120_000);
  let store: SqliteStore;
  let remove: () => Promise<void>;

  before(async () => {
    ({ store, remove } = await manyFindingsStore(N, "million"));
  });
  after(async () => remove?.());

  /** The plan of list(), and its rows. */
  async function page(query: FindingQuery, token: string, sort: FindingSort) {
    const { sql, params } = store.listSql(query, 50, token, sort);
    return { plan: store.queryPlan(sql, params).join(" | "), found: await store.list(query, 50, token, sort) };
  }

  const deepToken = (i: number, sort: FindingSort, value = FIXTURE_T0 + i * 1000) =>
    encodePageToken({ value, id: manyFindingId(i), sort });

  it("has them all", async () => {
    const last = await store.list({}, 1, "", "first_seen_desc");
    assert.equal(last.findings[0].id, manyFindingId(N - 1));
  });

  const cases: [string, FindingQuery, FindingSort, string, RegExp][] = [
    ["first page, newest first", {}, "first_seen_desc", "", /^SCAN findings USING INDEX findings_recent$/],
    [
      "deep page, newest first",
      {},
      "first_seen_desc",
      "deep",
      /^SEARCH findings USING INDEX findings_recent \(first_seen_ms<\?\)$/,
    ],
    [
      "deep page, oldest first",
      {},
      "first_seen_asc",
      "deep",
      /^SEARCH findings USING INDEX findings_recent \(first_seen_ms>\?\)$/,
    ],
    [
      "a namespace",
      { namespace: "ns-7" },
      "first_seen_desc",
      "",
      /^SEARCH findings USING INDEX findings_ns_recent \(k8s_namespace=\?\)$/,
    ],
    [
      "a namespace, deep",
      { namespace: "ns-7" },
      "first_seen_desc",
      "deep",
      /^SEARCH findings USING INDEX findings_ns_recent \(k8s_namespace=\? AND first_seen_ms<\?\)$/,
    ],
    [
      "a reason",
      { reason: "volume" },
      "first_seen_desc",
      "",
      /^SEARCH findings USING INDEX findings_reason_recent \(reason=\?\)$/,
    ],
    ["most execs first", {}, "count_desc", "", /^SCAN findings USING INDEX findings_count_id$/],
    [
      "most execs first, deep",
      {},
      "count_desc",
      "deep",
      /^SEARCH findings USING INDEX findings_count_id \(count<\?\)$/,
    ],
    [
      "last seen, deep",
      {},
      "last_seen_desc",
      "deep",
      /^SEARCH findings USING INDEX findings_last_seen_id \(last_seen_ms<\?\)$/,
    ],
  ];
  for (const [name, query, sort, depth, plan] of cases) {
    it(`${name}: an index range, no sort`, async () => {
      // Deep: after row 100 007 of the million (namespace ns-7 holds it).
      const i = 100_007;
      const value = sort.startsWith("count")
        ? 1 + (i % 13)
        : sort.startsWith("last")
          ? FIXTURE_T0 + i * 1000 + (i % 7) * 60000
          : undefined;
      const token = depth ? deepToken(i, sort, value) : "";
      const result = await page(query, token, sort);
      assert.match(result.plan, plan);
      assert.doesNotMatch(result.plan, /TEMP B-TREE/);
      assert.equal(result.found.findings.length, 50);
      assert.ok(result.found.nextPageToken, "there is a next page");
      if (depth && sort === "first_seen_desc" && !query.namespace && !query.reason) {
        assert.deepEqual(
          result.found.findings.slice(0, 3).map((f) => f.id),
          [i - 1, i - 2, i - 3].map(manyFindingId),
          "the page continues right after the key",
        );
      }
      if (query.namespace) for (const f of result.found.findings) assert.equal(f.k8sNamespace, query.namespace);
    });
  }
});
