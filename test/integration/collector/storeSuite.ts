// The store behaviour both implementations share; run once per database by store.test.ts.
import * as assert from "node:assert/strict";

import { CONTEXT_FIELDS, LATEST_SCHEMA_VERSION } from "../../../src/collector/store/schema";
import type { FindingStore, StoredFinding } from "../../../src/collector/store/FindingStore";
import { FINDING_SORTS } from "../../../src/collector/store/query";
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

  it("keeps the investigation context as reported", async () => {
    const reported = findingRecord(1, { attackTechniques: "T1105,T1036.003" });
    await store.ingest([reported], Date.now());
    const { finding } = (await store.get(reported.id))!;
    for (const field of CONTEXT_FIELDS) assert.deepEqual(finding[field], reported[field], field);
  });

  it("ingests idempotently by id: a batch delivered twice stores each finding once", async () => {
    const batch = [1, 2, 3].map((i) => findingRecord(i));
    const first = await store.ingest(batch, Date.now());
    assert.deepEqual(first, { inserted: 3, merged: 0, insertedIds: first.insertedIds, reopened: [] });
    assert.deepEqual([...first.insertedIds].sort(), ["f000001", "f000002", "f000003"]);
    assert.deepEqual(await store.ingest(batch, Date.now()), { inserted: 0, merged: 3, insertedIds: [], reopened: [] });
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
    assert.deepEqual(await store.ingest([later, stale], 3000), {
      inserted: 0,
      merged: 2,
      insertedIds: [],
      reopened: [],
    });
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

  it("filters by any of several reasons (a glob), and keeps a posture finding's evidence", async () => {
    const posture = { path: "", sha256: "", postureField: "mounts[5]", postureValue: "/ -> /host (read-only)" };
    await store.ingest(
      [
        findingRecord(1),
        findingRecord(2, { reason: "posture_privileged", ...posture }),
        findingRecord(3, { reason: "posture_sensitive_mount", ...posture, postureKey: "/host" }),
      ],
      Date.now(),
    );
    const ids = async (q: Parameters<FindingStore["list"]>[0]) =>
      (await store.list(q, 100, "")).findings.map((f) => f.id).sort();
    assert.deepEqual(await ids({ reasons: ["posture_privileged", "posture_sensitive_mount"] }), ["f000002", "f000003"]);
    assert.deepEqual(await ids({ reasons: ["posture_privileged"], namespace: "shop" }), ["f000002"]);
    assert.deepEqual(await ids({ reasons: [] }), [], "an empty list matches nothing");
    const watched = await store.raisedAfter({ reasons: ["posture_sensitive_mount"] }, { raisedMs: 0, id: "" }, 10);
    assert.deepEqual(
      watched.map((f) => f.id),
      ["f000003"],
    );
    const stored = (await store.get("f000003"))!.finding;
    assert.deepEqual(
      [stored.postureField, stored.postureValue, stored.postureKey],
      ["mounts[5]", "/ -> /host (read-only)", "/host"],
    );
    assert.equal((await store.get("f000001"))!.finding.postureField, "", "an exec finding has none");
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

  it("lists findings in the order they were raised, after a cursor", async () => {
    await store.ingest([findingRecord(2), findingRecord(1)], 5000);
    await store.ingest([findingRecord(3)], 6000);
    const all = await store.raisedAfter({}, { raisedMs: 0, id: "" }, 10);
    assert.deepEqual(
      all.map((f) => f.id),
      ["f000001", "f000002", "f000003"],
    );
    const after = await store.raisedAfter({}, { raisedMs: 5000, id: "f000001" }, 10);
    assert.deepEqual(
      after.map((f) => f.id),
      ["f000002", "f000003"],
    );
  });

  it("filters by container, path prefix and count, and pages in every sort order", async () => {
    await store.ingest(
      Array.from({ length: 120 }, (_, i) =>
        findingRecord(i, {
          count: 1 + (i % 7),
          lastSeenMs: FIXTURE_T0 + ((i * 37) % 120) * 1000,
          k8sContainer: i % 2 ? "web" : "sidecar",
          path: i % 3 ? `/tmp/drift/${i}` : `/data/ünï/${i}`,
        }),
      ),
      Date.now(),
    );
    const ids = async (q: Parameters<FindingStore["list"]>[0]) =>
      (await store.list(q, 1000, "")).findings.map((f) => f.id).sort();
    assert.equal((await ids({ container: "sidecar" })).length, 60);
    assert.equal((await ids({ pathPrefix: "/data/ünï/" })).length, 40, "a prefix with non-ASCII characters");
    assert.equal((await ids({ pathPrefix: "/data/ünï/1" })).length, 9); // 12, 15, 18, 102, ..., 117
    assert.equal((await ids({ minCount: 7 })).length, 17);
    for (const sort of FINDING_SORTS) {
      const seen: StoredFinding[] = [];
      let token = "";
      do {
        const page = await store.list({ container: "web" }, 7, token, sort);
        seen.push(...page.findings);
        token = page.nextPageToken;
      } while (token);
      assert.equal(new Set(seen.map((f) => f.id)).size, 60, `${sort}: every finding once`);
      const field = sort.startsWith("count") ? "count" : sort.startsWith("last") ? "lastSeenMs" : "firstSeenMs";
      const keys = seen.map((f) => [f[field], f.id] as const);
      const desc = sort.endsWith("_desc");
      for (let i = 1; i < keys.length; i++) {
        const [a, b] = desc ? [keys[i], keys[i - 1]] : [keys[i - 1], keys[i]];
        assert.ok(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]), `${sort}: in order at ${i}`);
      }
    }
    const countToken = (await store.list({}, 5, "", "count_desc")).nextPageToken;
    await assert.rejects(store.list({}, 5, countToken), /belongs to sort order count_desc/);
  });

  it("summarises findings per time bucket, verdict and reason, with top images and namespaces", async () => {
    const hour = 3600_000;
    await store.ingest(
      Array.from({ length: 30 }, (_, i) =>
        findingRecord(i, {
          firstSeenMs: FIXTURE_T0 + (i % 3) * hour + i * 1000,
          verdict: i % 5 === 0 ? "audited" : "blocked",
          reason: i % 2 ? "volume" : "new_file",
          image: `img-${i % 4}`,
          k8sNamespace: i < 20 ? "shop" : "db",
        }),
      ),
      Date.now(),
    );
    const summary = await store.summary({
      sinceMs: FIXTURE_T0,
      untilMs: FIXTURE_T0 + 4 * hour,
      bucketMs: hour,
      top: 3,
    });
    const total = summary.buckets.reduce((sum, b) => sum + b.findings, 0);
    assert.equal(total, 30);
    assert.deepEqual(
      [...new Set(summary.buckets.map((b) => b.startMs))],
      [0, 1, 2].map((i) => FIXTURE_T0 + i * hour),
    );
    const at = (i: number, verdict: string, reason: string) =>
      summary.buckets.find((b) => b.startMs === FIXTURE_T0 + i * hour && b.verdict === verdict && b.reason === reason)
        ?.findings ?? 0;
    // Bucket 0 holds i = 0, 3, ..., 27: audited when i % 5 == 0 (0, 15), volume when odd.
    assert.equal(at(0, "audited", "new_file"), 1);
    assert.equal(at(0, "audited", "volume"), 1);
    assert.equal(at(0, "blocked", "new_file"), 4);
    assert.equal(at(0, "blocked", "volume"), 4);
    assert.equal(summary.topImages.length, 3);
    assert.deepEqual(summary.topImages[0], { value: "img-0", findings: 8 });
    assert.deepEqual(summary.topNamespaces, [
      { value: "shop", findings: 20 },
      { value: "db", findings: 10 },
    ]);
    const empty = await store.summary({ sinceMs: 0, untilMs: 1000, bucketMs: hour, top: 3 });
    assert.deepEqual(empty, { buckets: [], topImages: [], topNamespaces: [] });
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
      status: "unknown" as const,
      reasons: [],
      statusSinceMs: 0,
    };
    await store.recordHeartbeat(h);
    await store.recordHeartbeat({ ...h, containers: 4, spoolFull: 2, lastSeenMs: 2 });
    assert.deepEqual(await store.agents(), [{ ...h, containers: 4, spoolFull: 2, lastSeenMs: 2 }]);
    // The status and its reasons (schema 8), replaced by the next heartbeat; every byte kept.
    const reasons = [{ code: "canary", detail: "exec canary: \x1b[2J ran\n", notReady: true }];
    const degraded = { ...h, status: "degraded" as const, reasons, statusSinceMs: 5, lastSeenMs: 3 };
    await store.recordHeartbeat(degraded);
    assert.deepEqual(await store.agents(), [degraded]);
    const recovered = { ...h, status: "enforcing" as const, statusSinceMs: 7, lastSeenMs: 4 };
    await store.recordHeartbeat(recovered);
    assert.deepEqual(await store.agents(), [recovered]);
  });
}
