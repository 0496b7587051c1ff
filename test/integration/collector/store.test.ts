// The collector's store against SQLite and a real PostgreSQL (started by the test).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { PostgresStore } from "../../../src/collector/store/PostgresStore";
import { SqliteStore } from "../../../src/collector/store/SqliteStore";
import { PostgresTestBed } from "../../testbed/PostgresTestBed";
import { grpcIngestSuite } from "./grpcIngestSuite";
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
  grpcIngestSuite(() => undefined);
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
  grpcIngestSuite(() => url);
});
