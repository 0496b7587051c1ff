// The store behaviour both implementations share; run once per database by store.test.ts.
import * as assert from "node:assert/strict";

import { LATEST_SCHEMA_VERSION } from "../../../src/collector/store/schema";
import type { FindingStore } from "../../../src/collector/store/FindingStore";
import { FIXTURE_T0, findingRecord } from "../../testbed/findingFixtures";

export function storeSuite(open: () => Promise<FindingStore>, reopen: () => Promise<FindingStore>): void {
  let store: FindingStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it("creates its schema on first start and records the migration version", async () => {
    assert.equal(await store.schemaVersion(), LATEST_SCHEMA_VERSION);
    await store.ingest([findingRecord(1)], Date.now());
    const again = await reopen();
    try {
      assert.equal(await again.schemaVersion(), LATEST_SCHEMA_VERSION);
      assert.equal((await again.list({}, 10, "")).findings.length, 1, "data survives a reopen");
    } finally {
      await again.close();
    }
  });

  it("ingests idempotently by id: a batch delivered twice stores each finding once", async () => {
    const batch = [1, 2, 3].map((i) => findingRecord(i));
    assert.deepEqual(await store.ingest(batch, Date.now()), { inserted: 3, merged: 0 });
    assert.deepEqual(await store.ingest(batch, Date.now()), { inserted: 0, merged: 3 });
    const page = await store.list({}, 100, "");
    assert.deepEqual(
      page.findings.map((f) => f.id),
      ["f000003", "f000002", "f000001"],
    );
  });

  it("merges count updates (highest count, earliest first, latest last) and keeps the triage", async () => {
    await store.ingest([findingRecord(1, { count: 1 })], 1000);
    await store.updateTriage("f000001", "acknowledged", "alice", "looking", 2000);
    const later = findingRecord(1, { count: 7, lastSeenMs: FIXTURE_T0 + 60_000 });
    const stale = findingRecord(1, { count: 3, firstSeenMs: FIXTURE_T0 - 5000 });
    // The update and an older retry in one batch, then the older retry alone: order does not matter.
    assert.deepEqual(await store.ingest([later, stale], 3000), { inserted: 0, merged: 2 });
    await store.ingest([findingRecord(1, { count: 2 })], 4000);
    const { finding } = (await store.get("f000001"))!;
    assert.equal(finding.count, 7);
    assert.equal(finding.firstSeenMs, FIXTURE_T0 - 5000);
    assert.equal(finding.lastSeenMs, FIXTURE_T0 + 60_000);
    assert.equal(finding.triageStatus, "acknowledged");
    assert.equal(finding.receivedMs, 1000);
  });

  it("pages through findings newest first without gaps or repeats", async () => {
    await store.ingest(
      Array.from({ length: 250 }, (_, i) => findingRecord(i, i % 50 === 0 ? { firstSeenMs: FIXTURE_T0 } : {})),
      Date.now(),
    );
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const page = await store.list({}, 100, token);
      seen.push(...page.findings.map((f) => f.id));
      token = page.nextPageToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.equal(seen.length, 250);
    assert.equal(new Set(seen).size, 250);
    const firsts = await Promise.all(seen.slice(0, 3).map(async (id) => (await store.get(id))!.finding.firstSeenMs));
    assert.ok(firsts[0] >= firsts[1] && firsts[1] >= firsts[2], "newest first");
    await assert.rejects(store.list({}, 10, "garbage!"), /page_token/);
  });

  it("filters by cluster, namespace, pod, image, node, reason, verdict, triage status and time", async () => {
    await store.ingest(
      [
        findingRecord(1),
        findingRecord(2, { cluster: "dev", k8sNamespace: "db", pod: "pg-0", image: "postgres:16", node: "node-b" }),
        findingRecord(3, { reason: "volume", verdict: "audited", policyMode: "audit" }),
        findingRecord(4, { lastSeenMs: FIXTURE_T0 + 100_000 }),
      ],
      Date.now(),
    );
    await store.updateTriage("f000004", "acknowledged", "alice", "", Date.now());
    const ids = async (q: Parameters<FindingStore["list"]>[0]) =>
      (await store.list(q, 100, "")).findings.map((f) => f.id).sort();
    assert.deepEqual(await ids({ cluster: "dev" }), ["f000002"]);
    assert.deepEqual(await ids({ namespace: "db", pod: "pg-0" }), ["f000002"]);
    assert.deepEqual(await ids({ image: "postgres:16" }), ["f000002"]);
    assert.deepEqual(await ids({ node: "node-b" }), ["f000002"]);
    assert.deepEqual(await ids({ reason: "volume" }), ["f000003"]);
    assert.deepEqual(await ids({ verdict: "audited" }), ["f000003"]);
    assert.deepEqual(await ids({ triageStatus: "acknowledged" }), ["f000004"]);
    assert.deepEqual(await ids({ triageStatus: "new", namespace: "shop" }), ["f000001", "f000003"]);
    assert.deepEqual(await ids({ sinceMs: FIXTURE_T0 + 50_000 }), ["f000004"]);
    assert.deepEqual(await ids({ untilMs: FIXTURE_T0 + 2500 }), ["f000001", "f000002"]);
  });

  it("moves findings through triage and keeps who did what", async () => {
    await store.ingest([findingRecord(1)], Date.now());
    const skip = await store.updateTriage("f000001", "resolved", "alice", "", 1);
    assert.equal(skip.ok, false);
    assert.equal(!skip.ok && skip.code, "INVALID_TRANSITION");
    assert.equal((await store.updateTriage("f000001", "acknowledged", "alice", "mine", 10)).ok, true);
    assert.equal((await store.updateTriage("f000001", "acknowledged", "alice", "again", 11)).ok, true, "no-op");
    const done = await store.updateTriage("f000001", "false_positive", "bob", "package manager", 20);
    assert.ok(done.ok);
    assert.equal(done.finding.triageStatus, "false_positive");
    assert.equal(done.finding.triageActor, "bob");
    const { history } = (await store.get("f000001"))!;
    assert.deepEqual(
      history.map((e) => [e.from, e.to, e.actor, e.comment]),
      [
        ["new", "acknowledged", "alice", "mine"],
        ["acknowledged", "false_positive", "bob", "package manager"],
      ],
    );
    const missing = await store.updateTriage("nope", "acknowledged", "alice", "", 1);
    assert.equal(!missing.ok && missing.code, "NOT_FOUND");
  });

  it("deletes findings last seen before the retention cutoff, with their history", async () => {
    await store.ingest([findingRecord(1), findingRecord(2, { lastSeenMs: FIXTURE_T0 + 10 * 86_400_000 })], 1);
    await store.updateTriage("f000001", "acknowledged", "alice", "", 1);
    assert.equal(await store.deleteOlderThan(FIXTURE_T0 + 86_400_000), 1);
    assert.equal(await store.get("f000001"), undefined);
    assert.ok(await store.get("f000002"));
  });

  it("lists findings in the order they were received, after a cursor", async () => {
    await store.ingest([findingRecord(2), findingRecord(1)], 5000);
    await store.ingest([findingRecord(3)], 6000);
    const all = await store.receivedAfter({}, { receivedMs: 0, id: "" }, 10);
    assert.deepEqual(
      all.map((f) => f.id),
      ["f000001", "f000002", "f000003"],
    );
    const after = await store.receivedAfter({}, { receivedMs: 5000, id: "f000001" }, 10);
    assert.deepEqual(
      after.map((f) => f.id),
      ["f000002", "f000003"],
    );
  });

  it("keeps the latest heartbeat per agent", async () => {
    const h = {
      cluster: "prod",
      node: "node-a",
      version: "0.1.0",
      mode: "enforce",
      containers: 3,
      spoolFull: 0,
      nativeVerdicts: 0,
      rejected: 0,
      spoolPending: 5,
      spoolBytes: 100,
      identity: "node-a",
      lastSeenMs: 1,
    };
    await store.recordHeartbeat(h);
    await store.recordHeartbeat({ ...h, containers: 4, spoolFull: 2, lastSeenMs: 2 });
    assert.deepEqual(await store.agents(), [{ ...h, containers: 4, spoolFull: 2, lastSeenMs: 2 }]);
  });
}
