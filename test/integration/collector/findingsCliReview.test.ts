// Issue 17 items 3 and 4 from the CLI: one binary blocked in 34 pods on 9 nodes is one group,
// a pod filter is a prefix, a whole filter is triaged at once (after saying how many) with
// one history entry per finding, and a new finding becomes a false positive in one step.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { CLI } from "../../testbed/AgentProcess";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";
import { runCommand } from "../../testbed/processes";

const BUSYBOX = "b".repeat(64);

describe("driftguard findings groups and bulk triage (CLI)", function () {
  this.timeout(60_000);
  let h: Harness;
  let conn: string[];
  const cli = (args: string[]) => runCommand(process.execPath, [CLI, "findings", ...args, ...conn], 30_000);

  before(async () => {
    h = await startHarness();
    const tokenFile = path.join(h.dir, "token");
    fs.writeFileSync(tokenFile, h.tokens.triager);
    conn = ["--server", h.address, "--ca", h.certs.ca.certFile, "--token-file", tokenFile];
    const now = Date.now();
    const copies = Array.from({ length: 34 }, (_, i) =>
      findingRecord(i, {
        sha256: BUSYBOX,
        node: `node-${i % 9}`,
        k8sNamespace: "payments",
        pod: `payments-api-7d9f${String(i).padStart(2, "0")}-x2x1z`,
        firstSeenMs: now - i * 1000,
      }),
    );
    const others = Array.from({ length: 5 }, (_, i) =>
      findingRecord(100 + i, { sha256: "c".repeat(64), k8sNamespace: "shop", pod: `web-${i}`, firstSeenMs: now - i }),
    );
    await h.collector.store.ingest([...copies, ...others], now);
  });
  after(async () => h?.stop());

  it("groups the copies of one binary across the fleet", async () => {
    const r = await cli(["groups", "--by", "sha256"]);
    assert.equal(r.code, 0, r.stderr);
    const [header, first, second] = r.stdout.trimEnd().split("\n");
    assert.match(header, /^FINDINGS\s+EXECS\s+PODS\s+NODES\s+OPEN\s+RAN\s+LAST SEEN \(UTC\)\s+GROUP$/);
    assert.match(first, new RegExp(`^34\\s+34\\s+34\\s+9\\s+34\\s+0\\s+\\S+ \\S+\\s+${BUSYBOX}$`));
    assert.match(second, /^5\s+/);
  });

  it("filters pods by the start of their name", async () => {
    const r = await cli(["list", "--pod", "payments-api", "--limit", "100", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as unknown[]).length, 34);
  });

  it("triages every finding of a filter after saying how many, one history entry each", async () => {
    const dry = await cli(["triage", "--all-matching", "acknowledged", "--sha256", BUSYBOX, "--comment", "INC-7"]);
    assert.equal(dry.code, 1);
    assert.match(dry.stderr, /^34 findings match these filters; run again with --yes/);
    assert.equal((await h.collector.store.get(findingRecord(0).id))!.finding.triageStatus, "new", "nothing yet");
    const done = await cli([
      "triage",
      "--all-matching",
      "acknowledged",
      "--sha256",
      BUSYBOX,
      "--comment",
      "INC-7",
      "--yes",
    ]);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "34 changed; 0 already had the status\n");
    for (let i = 0; i < 34; i++) {
      const { finding, history } = (await h.collector.store.get(findingRecord(i).id))!;
      assert.equal(finding.triageStatus, "acknowledged");
      assert.deepEqual(
        history.map((e) => [e.from, e.to, e.actor, e.comment]),
        [["new", "acknowledged", "alice", "INC-7"]],
      );
    }
    assert.equal((await h.collector.store.get(findingRecord(100).id))!.finding.triageStatus, "new");
  });

  it("marks a new finding a false positive in one step, never without a comment", async () => {
    const id = findingRecord(101).id;
    const bare = await cli(["triage", id, "false_positive"]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /a false positive needs --comment saying why/);
    const ok = await cli(["triage", id, "false_positive", "--comment", "our CI runner"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${id}: false_positive\n`);
  });
});
