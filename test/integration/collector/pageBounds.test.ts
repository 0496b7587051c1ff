// Pages bounded by bytes: findings as large as ingest accepts (~37 000 characters, here
// three UTF-8 bytes each) would make a page of 1000 some 100 MB, beyond any message limit.
// The collector ends such a page early with a token that continues after its last finding,
// the CLI follows the tokens, and `findings export` writes every finding, while callers
// asking for huge pages in a loop do not keep a well-behaved reviewer from being served.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import type { FindingFilter } from "../../../src/api/types";
import { CLI } from "../../testbed/AgentProcess";
import { bigRecord } from "../../testbed/bigFindings";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";
import { request, sample, scrape } from "../../testbed/metricsScrape";
import { runCommand } from "../../testbed/processes";

const BIG = 300;

describe("collector: pages bounded by bytes", function () {
  this.timeout(120_000);
  let h: Harness;
  let tokenFile: string;

  before(async () => {
    h = await startHarness();
    tokenFile = path.join(h.dir, "token");
    fs.writeFileSync(tokenFile, h.tokens.reader);
    for (let i = 0; i < BIG; i += 50) {
      await h.collector.store.ingest(
        Array.from({ length: 50 }, (_, j) => bigRecord(i + j)),
        Date.now(),
      );
    }
    await h.collector.store.ingest([findingRecord(1, { id: "small1", k8sNamespace: "small" })], Date.now());
  });
  after(async () => h?.stop());

  it("ends a page early at the byte bound, and the next page continues after it", async () => {
    const client = h.findings(h.tokens.reader);
    const seen = new Set<string>();
    let pageToken = "";
    let pages = 0;
    do {
      const page = await client.list({ pageSize: 1000, pageToken });
      assert.ok(page.findings.length > 0);
      const bytes = page.findings.reduce((n, f) => n + Buffer.byteLength(JSON.stringify(f)), 0);
      assert.ok(bytes < 3 << 20, `page ${pages}: ${bytes} bytes`);
      for (const f of page.findings) {
        assert.ok(!seen.has(f.id), `${f.id} twice`);
        seen.add(f.id);
      }
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken);
    assert.equal(seen.size, BIG + 1, "every finding, once");
    assert.ok(pages >= 10, `${pages} pages`);
    assert.ok(sample(await scrape(h.metricsUrl), 'driftguard_collector_pages_cut_total{api="grpc"}') >= pages - 1);
    const web = await request(`${h.webUrl}/api/findings?pageSize=1000`, {
      headers: { Authorization: `Bearer ${h.tokens.reader}` },
      ca: fs.readFileSync(h.certs.ca.certFile),
    });
    const body = JSON.parse(web.body) as { findings: unknown[]; nextPageToken: string };
    assert.ok(body.findings.length < 100 && body.nextPageToken, "the review page's table is bounded the same way");
  });

  it("exports every large finding with the CLI while others ask for huge pages in a loop", async () => {
    let hammering = true;
    const hammer = async () => {
      const client = h.findings(h.tokens.reader);
      let calls = 0;
      while (hammering) {
        await client.list({ pageSize: 1000 });
        calls++;
      }
      return calls;
    };
    const hammers = Array.from({ length: 4 }, hammer);
    const polite = h.findings(h.tokens.triager);
    const latencies: number[] = [];
    const politeLoop = (async () => {
      while (hammering) {
        const began = performance.now();
        const page = await polite.list({ pageSize: 1, filter: { namespace: "small" } as FindingFilter });
        latencies.push(performance.now() - began);
        assert.equal(page.findings[0]?.id, "small1");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      const out = path.join(h.dir, "all.json");
      const args = ["findings", "export", "--format", "json", "--output", out];
      const conn = ["--server", h.address, "--ca", h.certs.ca.certFile, "--token-file", tokenFile];
      const result = await runCommand(process.execPath, [CLI, ...args, ...conn], 90_000);
      assert.equal(result.code, 0, result.stderr);
      const exported = JSON.parse(fs.readFileSync(out, "utf8")) as { id: string; path: string }[];
      assert.equal(exported.length, BIG + 1);
      assert.equal(exported.find((f) => f.id === "big7")?.path, bigRecord(7).path, "fields intact");
    } finally {
      hammering = false;
    }
    const calls = await Promise.all(hammers);
    await politeLoop;
    assert.ok(calls.every((n) => n > 0));
    const worst = Math.max(...latencies);
    assert.ok(latencies.length >= 3 && worst < 5000, `the polite reviewer waited up to ${Math.round(worst)} ms`);
  });
});
