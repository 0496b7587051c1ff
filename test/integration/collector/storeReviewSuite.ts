// The review workflow's store behaviour, both implementations (store.test.ts runs it once
// per database): a recurrence after resolved or false_positive reopens the finding and
// raises it again; bulk triage by ids and by filter (only what was raised before the
// reviewer looked), one history entry per finding; groups by SHA-256, workload and image;
// prefix filters; the capped count of a list.
import * as assert from "node:assert/strict";

import type { FindingStore } from "../../../src/collector/store/FindingStore";
import { FIXTURE_T0, findingRecord } from "../../testbed/findingFixtures";

export function storeReviewSuite(open: () => Promise<FindingStore>): void {
  let store: FindingStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  const change = (to: "acknowledged" | "resolved" | "false_positive", comment = "", nowMs = 2000) => ({
    to,
    actor: "alice",
    comment,
    nowMs,
  });

  it("reopens a resolved finding whose execs go on, and raises it again", async () => {
    await store.ingest([findingRecord(1, { count: 1 })], 1000);
    await store.updateTriage("f000001", "acknowledged", "alice", "", 1500);
    await store.updateTriage("f000001", "resolved", "alice", "cleaned up", 2000);
    // The same report again (an at-least-once resend) is no recurrence.
    const resent = await store.ingest([findingRecord(1, { count: 1 })], 2500);
    assert.deepEqual(resent.reopened, []);
    assert.equal((await store.get("f000001"))!.finding.triageStatus, "resolved");
    // 20 more execs: the agent's next count update for the id.
    const grown = await store.ingest([findingRecord(1, { count: 21, lastSeenMs: FIXTURE_T0 + 90_000 })], 3000);
    assert.deepEqual(
      grown.reopened.map((f) => [f.id, f.triageStatus, f.count, f.raisedMs, f.receivedMs]),
      [["f000001", "new", 21, 3000, 1000]],
    );
    assert.equal(grown.inserted, 0);
    const { finding, history } = (await store.get("f000001"))!;
    assert.equal(finding.triageStatus, "new");
    assert.equal(finding.triageActor, "driftguard");
    assert.deepEqual(
      history.map((e) => [e.kind, e.from, e.to, e.actor, e.comment, e.timeMs]),
      [
        ["triage", "new", "acknowledged", "alice", "", 1500],
        ["triage", "acknowledged", "resolved", "alice", "cleaned up", 2000],
        ["recurred", "resolved", "new", "driftguard", "recurred after resolved: 20 more execs (count 1 → 21)", 3000],
      ],
    );
    // Watchers polling after the first report see it again, now; --status new finds it.
    const raised = await store.raisedAfter({}, { raisedMs: 2500, id: "" }, 10);
    assert.deepEqual(
      raised.map((f) => [f.id, f.raisedMs]),
      [["f000001", 3000]],
    );
    assert.deepEqual(
      (await store.list({ triageStatus: "new" }, 10, "")).findings.map((f) => f.id),
      ["f000001"],
    );
  });

  it("reopens a false positive too, but not a finding still open", async () => {
    await store.ingest([findingRecord(1), findingRecord(2), findingRecord(3)], 1000);
    await store.updateTriage("f000001", "false_positive", "bob", "our build tool", 1500);
    await store.updateTriage("f000002", "acknowledged", "bob", "", 1500);
    const grown = await store.ingest(
      [1, 2, 3].map((i) => findingRecord(i, { count: 5 })),
      2000,
    );
    assert.deepEqual(
      grown.reopened.map((f) => f.id),
      ["f000001"],
    );
    assert.deepEqual((await store.get("f000001"))!.history.map((e) => [e.kind, e.from, e.to]).slice(-1), [
      ["recurred", "false_positive", "new"],
    ]);
    assert.equal((await store.get("f000002"))!.finding.triageStatus, "acknowledged");
    assert.equal((await store.get("f000003"))!.finding.count, 5);
  });

  it("marks a new finding a false positive in one step", async () => {
    await store.ingest([findingRecord(1)], 1000);
    const done = await store.updateTriage("f000001", "false_positive", "alice", "package manager", 2000);
    assert.ok(done.ok);
    assert.equal(done.finding.triageStatus, "false_positive");
  });

  it("triages many findings by id, one history entry each", async () => {
    await store.ingest(
      [1, 2, 3, 4].map((i) => findingRecord(i)),
      1000,
    );
    await store.updateTriage("f000004", "acknowledged", "bob", "mine", 1500);
    const outcome = await store.updateTriageMany(
      { ids: ["f000001", "f000002", "f000004", "nope"] },
      change("acknowledged", "looking"),
      100,
    );
    assert.deepEqual(outcome, { ok: true, changed: 2, unchanged: 1, notAllowed: 0, notFound: ["nope"] });
    const resolved = await store.updateTriageMany({ ids: ["f000001", "f000003"] }, change("resolved"), 100);
    assert.deepEqual(resolved, { ok: true, changed: 1, unchanged: 0, notAllowed: 1, notFound: [] });
    for (const id of ["f000001", "f000002"]) {
      const { history } = (await store.get(id))!;
      assert.deepEqual(history[0], {
        findingId: id,
        timeMs: 2000,
        from: "new",
        to: "acknowledged",
        actor: "alice",
        comment: "looking",
        kind: "triage",
      });
    }
    assert.equal((await store.get("f000003"))!.finding.triageStatus, "new", "new may not be resolved at once");
  });

  it("triages every finding matching a filter that was raised before the reviewer looked", async () => {
    await store.ingest(
      Array.from({ length: 30 }, (_, i) => findingRecord(i, { k8sNamespace: i % 3 ? "shop" : "db" })),
      1000,
    );
    await store.ingest([findingRecord(100, { k8sNamespace: "shop" })], 5000); // arrived after the look
    const outcome = await store.updateTriageMany(
      { query: { namespace: "shop", raisedBeforeMs: 4000 } },
      change("false_positive", "CI runners build here"),
      1000,
    );
    assert.deepEqual(outcome, { ok: true, changed: 20, unchanged: 0, notAllowed: 0, notFound: [] });
    const shopNew = await store.list({ namespace: "shop", triageStatus: "new" }, 100, "");
    assert.deepEqual(
      shopNew.findings.map((f) => f.id),
      ["f000100"],
    );
    assert.equal((await store.list({ triageStatus: "false_positive" }, 100, "")).findings.length, 20);
    const tooMany = await store.updateTriageMany({ query: {} }, change("acknowledged"), 10);
    assert.equal(tooMany.ok, false);
    assert.match(!tooMany.ok ? tooMany.message : "", /more than 10 findings match/);
    assert.equal((await store.list({ triageStatus: "acknowledged" }, 100, "")).findings.length, 0, "all or nothing");
  });

  it("groups findings by SHA-256, workload and image, the largest first, and lists a group", async () => {
    const hash = (n: number) => String(n).repeat(64);
    const records = Array.from({ length: 34 }, (_, i) =>
      findingRecord(i, {
        sha256: i < 20 ? hash(1) : i < 30 ? hash(2) : "",
        k8sNamespace: `ns-${i % 4}`,
        pod: `pod-${i % 7}`,
        node: `node-${i % 9}`,
        image: i % 2 ? "busybox:1" : "alpine:3",
        workloadKind: i % 2 ? "deployment" : "",
        workloadName: i % 2 ? "payments-api" : "",
        verdict: i % 5 === 0 ? "audited" : "blocked",
        count: 2,
      }),
    );
    await store.ingest(records, 1000);
    const bySha = await store.groups({}, "sha256", 2, "");
    assert.deepEqual(
      bySha.groups.map((g) => [g.key, g.findings, g.execs, g.audited, g.open]),
      [
        [[hash(1)], 20, 40, 4, 20],
        [[hash(2)], 10, 20, 2, 10],
      ],
    );
    assert.equal(bySha.groups[0].pods, new Set(records.slice(0, 20).map((r) => `${r.k8sNamespace}/${r.pod}`)).size);
    assert.equal(bySha.groups[0].nodes, 9);
    assert.equal(bySha.groups[0].namespaces, 4);
    const rest = await store.groups({}, "sha256", 2, bySha.nextPageToken);
    assert.deepEqual(
      rest.groups.map((g) => [g.key, g.findings]),
      [[[""], 4]],
    );
    assert.equal(rest.nextPageToken, "");
    const members = await store.list({ group: { by: "sha256", key: [hash(2)] } }, 100, "");
    assert.equal(members.findings.length, 10);
    const unhashed = await store.list({ group: { by: "sha256", key: [""] } }, 100, "");
    assert.equal(unhashed.findings.length, 4, "a group of findings without a hash");
    const byWorkload = await store.groups({ namespace: "ns-1" }, "workload", 10, "");
    assert.deepEqual(
      byWorkload.groups.map((g) => [g.key, g.findings]),
      [[["ns-1", "deployment", "payments-api"], 9]],
    );
    const unknownWorkload = await store.list({ group: { by: "workload", key: ["ns-0", "", ""] } }, 100, "");
    assert.equal(unknownWorkload.findings.length, 9);
    const byImage = await store.groups({ sha256: hash(1) }, "image", 10, "");
    assert.deepEqual(
      byImage.groups.map((g) => [g.key, g.findings]),
      [
        [["alpine:3"], 10],
        [["busybox:1"], 10],
      ],
    );
    await assert.rejects(store.groups({}, "workload", 2, bySha.nextPageToken), /page_token/);
  });

  it("filters by pod, path and image prefix (code point order, any collation) and counts up to a cap", async () => {
    await store.ingest(
      [
        findingRecord(1, { pod: "payments-api-7d9f8c6b5-x2k4p", path: "/tmp/Zed", image: "registry.local/pay:1" }),
        findingRecord(2, { pod: "payments-api-7d9f8c6b5-q9w8e", path: "/tmp/apt", image: "registry.local/pay:2" }),
        findingRecord(3, { pod: "payments-worker-0", path: "/tmp/ünï", image: "docker.io/pay:1" }),
        findingRecord(4, { pod: "payments-api", path: "/tmpfile", image: "registry.local/web:1" }),
      ],
      1000,
    );
    const ids = async (q: Parameters<FindingStore["list"]>[0]) =>
      (await store.list(q, 100, "")).findings.map((f) => f.id).sort();
    assert.deepEqual(await ids({ podPrefix: "payments-api" }), ["f000001", "f000002", "f000004"]);
    assert.deepEqual(await ids({ podPrefix: "payments-api-" }), ["f000001", "f000002"]);
    // "Z" < "a" in code point order (a case-insensitive collation would disagree).
    assert.deepEqual(await ids({ pathPrefix: "/tmp/" }), ["f000001", "f000002", "f000003"]);
    assert.deepEqual(await ids({ pathPrefix: "/tmp/ü" }), ["f000003"]);
    assert.deepEqual(await ids({ pathPrefix: "/tmp/Z" }), ["f000001"]);
    assert.deepEqual(await ids({ imagePrefix: "registry.local/pay" }), ["f000001", "f000002"]);
    assert.equal(await store.countMatching({}, 100), 4);
    assert.equal(await store.countMatching({}, 2), 3, "cap + 1: there are more");
    assert.equal(await store.countMatching({ podPrefix: "payments-api-" }, 100), 2);
  });
}
