// Issue 17 on the review page, in a real headless Chromium: a resolved finding that recurs
// reopens in the table without a reload; bulk triage of a filter (only what the reviewer had
// seen) and of selected rows; groups by SHA-256 opening their findings; hostile strings
// shown escaped and marked, long ones cut with an expander; and "make an exception" giving
// YAML that `driftguard policy check` accepts.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Dialog, Page } from "playwright-core";

import type { FindingRecord } from "../../../src/collector/store/FindingStore";
import { CLI } from "../../testbed/AgentProcess";
import { launchChromium, type Chromium } from "../../testbed/browser";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";
import { runCommand } from "../../testbed/processes";
import { seedReview, seededRecord } from "./reviewFixtures";

const RTL = "/tmp/rtl-\u202etxt.exe";
const ESC = "/tmp/\x1b[2J\x1b[H\x1b[32mALL CLEAR\x1b[0m\nfake line";

describe("review workflow in Chromium (issue 17)", function () {
  this.timeout(60_000);
  let h: Harness;
  let chromium: Chromium;
  let page: Page;
  let seeded: FindingRecord[];
  const errors: string[] = [];
  const now = Date.now();

  const rows = () => page.$$eval("table.findings tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id!));
  const open = async (hash: string) => {
    await page.goto(`${h.webUrl}/${hash}`);
    await page.reload();
    await page.waitForFunction(() => document.getElementById("findings-status")?.dataset.for === location.hash);
  };

  before(async () => {
    h = await startHarness();
    seeded = await seedReview(h.collector.store, now);
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(h.webUrl);
    await page.fill("#token", h.tokens.triager);
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("table.findings tbody tr");
  });
  after(async () => {
    await chromium?.close();
    await h?.stop();
  });
  afterEach(() => assert.deepEqual(errors, [], "no script errors on the page"));

  it("reopens a resolved finding in the table when it recurs, without a reload", async () => {
    const target = seeded[2];
    await h.collector.store.updateTriage(target.id, "acknowledged", "alice", "", Date.now());
    await h.collector.store.updateTriage(target.id, "resolved", "alice", "fixed the image", Date.now());
    await open(`#/findings?namespace=${target.k8sNamespace}`);
    await page.waitForSelector(".live-badge[data-state=connected]");
    const cell = `tr[data-id="${target.id}"] td[data-col=status]`;
    assert.equal(await page.textContent(cell), "resolved");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
    await h.collector.store.ingest([{ ...target, count: target.count + 20, lastSeenMs: Date.now() }], Date.now());
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === "new (recurred)", cell, {
      timeout: 15_000,
    });
    assert.equal(await page.textContent(`tr[data-id="${target.id}"] td[data-col=count]`), String(target.count + 20));
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 7, "no reload");
    assert.match((await page.textContent("#announce"))!, /recurred and reopened/);
  });

  it("triages every finding matching a filter, but not one raised after the table was read", async () => {
    await open("#/findings?namespace=payments&reason=modified");
    const shown = await rows();
    assert.ok(shown.length >= 3);
    const late = findingRecord(9001, { k8sNamespace: "payments", reason: "modified", firstSeenMs: now - 1000 });
    await h.collector.store.ingest([late], Date.now() + 1000); // raised after the page's read
    await page.selectOption("#bulk-status", "acknowledged");
    await page.fill("#bulk-comment", "triaged as a batch");
    page.once("dialog", (d: Dialog) => void d.accept());
    await page.click("button.bulk-all");
    const status = async (id: string) => (await h.collector.store.get(id))!.finding.triageStatus;
    for (let i = 0; i < 100 && (await status(shown[shown.length - 1])) !== "acknowledged"; i++)
      await new Promise((r) => setTimeout(r, 100));
    for (const id of shown) {
      const found = await h.collector.store.get(id);
      assert.equal(found!.finding.triageStatus, "acknowledged");
      const batch = found!.history.filter((e) => e.comment === "triaged as a batch");
      assert.deepEqual(
        batch.map((e) => [e.from, e.to, e.actor]),
        [["new", "acknowledged", "alice"]],
        "one history entry per finding",
      );
    }
    assert.equal((await h.collector.store.get(late.id))!.finding.triageStatus, "new", "not seen: unchanged");
  });

  it("triages the selected rows, and asks for a comment before a false positive", async () => {
    await open("#/findings?namespace=shop");
    await page.evaluate(() => (document.getElementById("announce")!.textContent = ""));
    const [a, b] = await rows();
    await page.check(`tr[data-id="${a}"] input.select`);
    await page.check(`tr[data-id="${b}"] input.select`);
    await page.selectOption("#bulk-status", "false_positive");
    await page.click("button.bulk-selected");
    await page.waitForSelector(".bulk-message:text('Say why')");
    await page.fill("#bulk-comment", "our CI agent");
    await page.click("button.bulk-selected");
    await page.waitForFunction(() => document.getElementById("announce")?.textContent?.startsWith("Bulk triage"));
    assert.match((await page.textContent("#announce"))!, /^Bulk triage: 2 changed/);
    await page.waitForSelector(`tr[data-id="${a}"] td[data-col=status]:has-text("false positive")`);
    for (const id of [a, b]) assert.equal((await h.collector.store.get(id))!.finding.triageStatus, "false_positive");
  });

  it("groups by SHA-256 and opens a group's findings", async () => {
    await page.goto(`${h.webUrl}/#/groups?by=sha256`);
    await page.waitForFunction(() => document.getElementById("groups-status")?.dataset.for === location.hash);
    const sha = seeded[3].sha256;
    const members = seeded.filter((r) => r.sha256 === sha);
    const row = `table.groups tr[data-key="${sha}"]`;
    const text = (await page.textContent(row))!;
    const pods = new Set(members.map((r) => `${r.k8sNamespace}/${r.pod}`)).size;
    assert.match(text, new RegExp(`${pods} pods? on 1 node.*${members.length}`));
    await page.click(`${row} td.key a`);
    await page.waitForFunction(() => document.getElementById("findings-status")?.dataset.for === location.hash);
    assert.deepEqual((await rows()).sort(), members.map((r) => r.id).sort());
  });

  it("shows control and bidi characters escaped and marked, long values cut with an expander", async () => {
    const long = "x".repeat(2000);
    const hostile = [
      seededRecord(500, now, { path: RTL, firstSeenMs: now - 10 }),
      seededRecord(501, now, { path: ESC, cmdline: `sh -c ${long}`, firstSeenMs: now - 20 }),
    ];
    await h.collector.store.ingest(hostile, Date.now());
    await open("#/findings?path=/tmp/");
    const paths = await page.$$eval("td[data-col=path] a", (as) => as.map((a) => a.textContent ?? ""));
    assert.ok(paths.includes("/tmp/rtl-\\u202etxt.exe"), paths.join(" | "));
    assert.ok(paths.some((p) => p.startsWith("/tmp/\\e[2J\\e[H\\e[32mALL CLEAR\\e[0m\\nfake line")));
    const main = (await page.textContent("main"))!;
    assert.doesNotMatch(main, /[\u202e\x1b]/, "no raw override or ESC in the page's text");
    assert.ok((await page.locator(`tr[data-id="${hostile[0].id}"] mark.esc:text("\\\\u202e")`).count()) === 1);
    await page.click(`tr[data-id="${hostile[1].id}"] td.path a`);
    await page.waitForSelector(".triage");
    const cmd = page.locator("dd.value:has-text('sh -c xxx')");
    assert.ok(((await cmd.textContent()) ?? "").length < 400, "cut");
    await cmd.locator("button.expand").click();
    assert.ok(((await cmd.textContent()) ?? "").includes(long), "expanded to the whole value");
  });

  it("opens the findings behind a top namespace and behind a bar of the overview", async () => {
    await page.goto(`${h.webUrl}/#/overview`);
    await page.click('#top-namespaces a.bar-link:has(g.hbar[data-label="db"])');
    await page.waitForFunction(() => document.getElementById("findings-status")?.dataset.for === location.hash);
    assert.match(page.url(), /#\/findings\?namespace=db$/);
    for (const w of await page.$$eval("td[data-col=workload]", (tds) => tds.map((td) => td.textContent)))
      assert.match(w!, /^db\//);
    await page.goto(`${h.webUrl}/#/overview`);
    const bar = page.locator("#by-verdict a.bar-link").first();
    const total = Number(await bar.locator("g.bar").getAttribute("data-total"));
    await bar.click();
    await page.waitForFunction(() => document.getElementById("findings-status")?.dataset.for === location.hash);
    assert.match(page.url(), /#\/findings\?since=\d+&until=\d+$/);
    assert.ok((await rows()).length >= total, "the bar's findings (and those still seen in it) are listed");
  });

  it("makes an exception for a finding and for a group that policy check accepts", async () => {
    const target = seeded[5];
    await page.goto(`${h.webUrl}/#/finding/${target.id}`);
    await page.waitForSelector(".triage");
    await page.fill("#exception-reason", "our build tool");
    await page.fill("#exception-expires", "not a time");
    await page.click("button.make-exception");
    await page.waitForSelector(".exception-out .error:has-text('must be a date')");
    await page.fill("#exception-expires", "2099-03-01T18:00:00Z");
    await page.click("button.make-exception");
    const yaml = (await page.textContent(".suggestion[data-kind=digest] pre.yaml", { timeout: 10_000 }))!;
    assert.match(yaml, /reason: our build tool\n\s+expires: 2099-03-01T18:00:00Z/);
    await page.goto(`${h.webUrl}/#/groups?by=image`);
    await page.waitForFunction(() => document.getElementById("groups-status")?.dataset.for === location.hash);
    await page.click(`table.groups tr[data-key="${target.image}"] button.group-exception-button`);
    await page.click("button.make-exception");
    const group = (await page.textContent(".suggestion pre.yaml", { timeout: 10_000 }))!;
    assert.match(group, /images:\n\s+- registry\.local\/app-5:1/);
    for (const [name, text] of [
      ["finding.yaml", yaml],
      ["group.yaml", group],
    ]) {
      const file = path.join(h.dir, name);
      fs.writeFileSync(file, text);
      const check = await runCommand(process.execPath, [CLI, "policy", "check", file], 20_000);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      assert.equal(check.stdout, "1 policies, 0 errors, 0 warnings\n");
    }
  });
});
