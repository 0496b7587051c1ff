// `driftguard findings export` as the CLI, against an in-process collector: ASFF request
// bodies of at most 100 findings each that the BatchImportFindings schema accepts, JSON the
// same as `list --json`, CSV with one row per finding, filters applied, usage errors.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";

import { CLI } from "../../testbed/AgentProcess";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";
import { runCommand } from "../../testbed/processes";
import { batchImportFindingsSchema } from "../../unit/collector/asffSchema";

describe("driftguard findings export (CLI)", function () {
  this.timeout(60_000);
  let h: Harness;
  let tokenFile: string;
  const cli = (args: string[]) =>
    runCommand(
      process.execPath,
      [
        CLI,
        "findings",
        "export",
        "--server",
        h.address,
        "--ca",
        h.certs.ca.certFile,
        "--token-file",
        tokenFile,
        ...args,
      ],
      30_000,
    );

  before(async () => {
    h = await startHarness();
    tokenFile = path.join(h.dir, "token");
    fs.writeFileSync(tokenFile, h.tokens.reader);
    const records = Array.from({ length: 150 }, (_, i) =>
      findingRecord(i, i % 3 ? {} : { reason: "volume", k8sNamespace: "db" }),
    );
    await h.collector.store.ingest(records, Date.now());
  });
  after(async () => h?.stop());

  it("writes ASFF: one BatchImportFindings request per line, at most 100 findings each", async () => {
    const out = path.join(h.dir, "findings.asff");
    const result = await cli([
      "--format",
      "asff",
      "--aws-account",
      "123456789012",
      "--aws-region",
      "eu-west-1",
      "--output",
      out,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /150 findings written/);
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    const lines = fs.readFileSync(out, "utf8").trimEnd().split("\n");
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { Findings: unknown[] }).Findings.length),
      [100, 50],
    );
    const validate = new Ajv({ allErrors: true, strict: false }).compile(batchImportFindingsSchema);
    for (const line of lines) assert.ok(validate(JSON.parse(line)), JSON.stringify(validate.errors));
  });

  it("writes JSON and CSV, with filters", async () => {
    const json = await cli(["--format", "json", "--namespace", "db"]);
    assert.equal(json.code, 0, json.stderr);
    const found = JSON.parse(json.stdout) as { namespace: string; reason: string }[];
    assert.equal(found.length, 50);
    assert.ok(found.every((f) => f.namespace === "db" && f.reason === "volume"));
    const csv = await cli(["--format", "csv", "--limit", "7"]);
    assert.equal(csv.code, 0, csv.stderr);
    const rows = csv.stdout.split("\r\n").filter(Boolean);
    assert.equal(rows.length, 8, "a header and 7 rows");
    assert.match(rows[0], /^id,first_seen,last_seen,count,/);
    const none = await cli(["--format", "json", "--namespace", "nowhere"]);
    assert.equal(none.stdout, "[]\n");
  });

  it("says what is missing", async () => {
    const noFormat = await cli([]);
    assert.equal(noFormat.code, 2);
    assert.match(noFormat.stderr, /export needs --format asff, asff-workflow, json, csv/);
    const noAccount = await cli(["--format", "asff", "--aws-region", "eu-west-1"]);
    assert.equal(noAccount.code, 2);
    assert.match(noAccount.stderr, /--aws-account with the 12-digit account id/);
  });
});
