// The collector's store against SQLite and a real PostgreSQL (started by the test).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import Database from "better-sqlite3";

import { PostgresStore } from "../../../src/collector/store/PostgresStore";
import { CONTEXT_FIELDS, MIGRATIONS, RECORD_FIELDS, statementFor } from "../../../src/collector/store/schema";
import { SqliteStore } from "../../../src/collector/store/SqliteStore";
import { findingRecord } from "../../testbed/findingFixtures";
import { PostgresTestBed } from "../../testbed/PostgresTestBed";
import { grpcIngestSuite } from "./grpcIngestSuite";
import { sampleStoreSuite } from "./sampleStoreSuite";
import { storeReviewSuite } from "./storeReviewSuite";
import { storeSuite } from "./storeSuite";

describe("collector store: SQLite", function () {
  let dir: string;
  let file: string;
  let n = 0;
  beforeEach(() => {
    dir ??= fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-sqlite-"));
    file = path.join(dir, `t${++n}`, "findings.db");
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  storeSuite(
    async () => new SqliteStore(file),
    async () => new SqliteStore(file),
  );
  storeReviewSuite(async () => new SqliteStore(file));
  sampleStoreSuite(async () => new SqliteStore(file));
  grpcIngestSuite(() => undefined);

  it("shows agents known before their status was stored (schema 8) as unknown, never enforcing", async () => {
    const old = path.join(dir, `agents${n}`, "findings.db");
    fs.mkdirSync(path.dirname(old), { recursive: true });
    const db = new Database(old);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)");
    for (const m of MIGRATIONS.filter((m) => m.version < 8)) {
      for (const statement of m.statements) db.exec(statementFor(statement, "sqlite"));
      db.prepare("INSERT INTO schema_migrations VALUES (?, 0)").run(m.version);
    }
    db.exec("INSERT INTO agents VALUES ('prod', 'node-old', '0.1.0', 'enforce', 3, 0, 0, 0, 0, 0, '', 5)");
    db.close();
    const store = new SqliteStore(old);
    try {
      const [agent] = await store.agents();
      assert.deepEqual([agent.node, agent.status, agent.reasons, agent.statusSinceMs], ["node-old", "unknown", [], 0]);
    } finally {
      await store.close();
    }
  });

  it("gives findings stored before actions existed the action their verdict stands for", async () => {
    // A database as a collector before schema version 3 left it, with one blocked and one audited finding.
    const old = path.join(dir, `old${n}`, "findings.db");
    fs.mkdirSync(path.dirname(old), { recursive: true });
    const db = new Database(old);
    db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)");
    for (const m of MIGRATIONS.filter((m) => m.version < 3)) {
      for (const statement of m.statements) db.exec(statementFor(statement, "sqlite"));
      db.prepare("INSERT INTO schema_migrations VALUES (?, 0)").run(m.version);
    }
    const later = [
      "action",
      "postureField",
      "postureValue",
      "postureKey",
      "workloadKind",
      "workloadName",
      "workloadInferredFrom",
      "truncated",
      ...CONTEXT_FIELDS,
    ]; // columns of versions 3 to 6
    const oldFields = RECORD_FIELDS.filter((f) => !later.includes(f));
    const columns = oldFields.map((f) => f.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()));
    const insert = db.prepare(
      `INSERT INTO findings (${columns.join(", ")}, received_ms) VALUES (${columns.map(() => "?").join(", ")}, 1)`,
    );
    const blocked = findingRecord(1);
    const audited = findingRecord(2, { verdict: "audited" });
    for (const r of [blocked, audited]) insert.run(...oldFields.map((f) => r[f]));
    db.close();
    const store = new SqliteStore(old);
    try {
      assert.equal((await store.get(blocked.id))?.finding.action, "refused");
      assert.equal((await store.get(audited.id))?.finding.action, "audited");
      await store.ingest([findingRecord(3, { action: "killed" })], Date.now());
      assert.equal((await store.get(findingRecord(3).id))?.finding.action, "killed");
      // Schema version 5: findings stored before are raised when they were received (watchers
      // see nothing old as new), and their workload is unknown.
      const before = (await store.get(blocked.id))!.finding;
      assert.deepEqual([before.raisedMs, before.workloadKind, before.truncated], [1, "", ""]);
      const raised = await store.raisedAfter({}, { raisedMs: 0, id: "" }, 10);
      assert.deepEqual(
        raised.map((f) => f.id),
        [blocked.id, audited.id, findingRecord(3).id],
      );
      // Nothing of the investigation context (schema version 6) was reported then.
      assert.equal(before.attackTechniques, "");
    } finally {
      await store.close();
    }
  });
});

describe("collector store: PostgreSQL", function () {
  this.timeout(120_000);
  let bed: PostgresTestBed | undefined;
  let url = "";
  let n = 0;
  before(async () => {
    bed = await PostgresTestBed.start();
  });
  beforeEach(async () => {
    url = await bed!.createDatabase(`t${++n}`);
  });
  after(async () => {
    await bed?.stop();
  });
  storeSuite(
    () => PostgresStore.open(url),
    () => PostgresStore.open(url),
  );
  storeReviewSuite(() => PostgresStore.open(url));
  sampleStoreSuite(() => PostgresStore.open(url));
  grpcIngestSuite(() => url);
});
