// The detail view's sample panel in a real headless Chromium against an in-process
// collector: an admin sees the sample's size and downloads it byte-identical (through the
// admin-only route, with the token in a header); a reader sees that one exists and
// "admin only", with no link; a finding without a sample says so.
import * as assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import type { Page } from "playwright-core";

import { launchChromium, type Chromium } from "../../testbed/browser";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";

describe("sample panel in Chromium", function () {
  this.timeout(60_000);
  let h: Harness;
  let chromium: Chromium;
  const errors: string[] = [];
  const bytes = randomBytes(5000);
  const digest = createHash("sha256").update(bytes).digest("hex");
  const withSample = findingRecord(1, { id: "f-sample", sha256: digest });
  const without = findingRecord(2, { id: "f-none", sha256: "e".repeat(64) });

  before(async () => {
    h = await startHarness();
    await h.collector.store.ingest([withSample, without], Date.now());
    await h.collector.store.samples.put(digest, bytes, Date.now());
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await h?.stop();
  });

  afterEach(() => assert.deepEqual(errors, [], "no script errors on the page"));

  /** A tab signed in with token, showing finding id's detail. */
  async function detail(token: string, id: string): Promise<Page> {
    const page = await chromium.context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(h.webUrl);
    await page.fill("#token", token);
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("table.findings tbody tr");
    await page.goto(`${h.webUrl}/#/finding/${id}`);
    await page.waitForSelector("section.sample");
    return page;
  }

  it("offers an admin the download, which saves the sample byte-identical", async () => {
    const page = await detail(h.tokens.admin, withSample.id);
    assert.equal(await page.textContent("section.sample .sample-size"), "Sample: 5000 bytes");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("section.sample a.sample-download"),
    ]);
    assert.equal(download.suggestedFilename(), `${digest}.sample`);
    const saved = await download.path();
    assert.deepEqual(fs.readFileSync(saved!), bytes);
    await page.waitForSelector(`section.sample .sample-message:text('Saved as ${digest}.sample')`);
    await page.close();
  });

  it("tells a reader a sample exists, admin only, with no link", async () => {
    const page = await detail(h.tokens.reader, withSample.id);
    assert.equal(await page.textContent("section.sample .sample-size"), "Sample: 5000 bytes");
    assert.equal(await page.textContent("section.sample .sample-admin-only"), "Download: admin only");
    assert.equal(await page.$("section.sample a"), null);
    await page.close();
  });

  it("says when no sample is stored", async () => {
    const page = await detail(h.tokens.admin, without.id);
    assert.match((await page.textContent("section.sample .sample-none")) ?? "", /^No sample stored/);
    assert.equal(await page.$("section.sample a"), null);
    await page.close();
  });
});
