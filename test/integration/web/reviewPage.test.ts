// The review page in a real headless Chromium against an in-process collector (TLS, bearer
// tokens): sign-in, the table read from the DOM, filters, sort, pages, a finding's detail and
// triage with history, a finding sent through the agent API appearing without a reload, the
// overview's pictures, keyboard-only use, and nothing loaded from anywhere but the collector.
// The tests run in order as one reviewer's session: the first one signs in.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import pino from "pino";
import type { Page } from "playwright-core";

import type { FindingRecord } from "../../../src/collector/store/FindingStore";
import { startReporter, type Reporter } from "../../../src/report/Reporter";
import { launchChromium, type Chromium } from "../../testbed/browser";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { driftFinding } from "../../testbed/findingFixtures";
import { NAMESPACES, SEEDED, seedReview } from "./reviewFixtures";

describe("review page in Chromium", function () {
  this.timeout(60_000);
  let h: Harness;
  let chromium: Chromium;
  let page: Page;
  let seeded: FindingRecord[];
  let reporter: Reporter;
  const requests: string[] = [];
  const errors: string[] = [];

  const rows = () => page.$$eval("table.findings tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id!));
  const cells = (column: string) =>
    page.$$eval(`table.findings tbody tr td[data-col=${column}]`, (tds) => tds.map((td) => td.textContent ?? ""));
  const shot = async (name: string) => {
    const file = path.join(chromium.shots, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    console.log(`      screenshot ${file}`);
  };
  /** Waits until the table shows the view in the address bar (after navigation, filters, sort, paging). */
  const settled = async () =>
    page.waitForFunction(() => document.getElementById("findings-status")?.dataset.for === location.hash);
  /** A fresh document on the findings view, its live updates connected. */
  const freshFindings = async () => {
    await page.goto(`${h.webUrl}/#/findings`);
    await page.reload();
    await settled();
    await page.waitForSelector(".live-badge[data-state=connected]");
  };

  before(async () => {
    h = await startHarness({ agentHeartbeatMs: 2000 });
    seeded = await seedReview(h.collector.store, Date.now());
    // A real agent connection: its heartbeats keep "node-live" live, its findings arrive live.
    reporter = startReporter(
      {
        ...h.agentConnection(),
        clusterName: "prod",
        nodeName: "node-live",
        stateDir: path.join(h.dir, "agent"),
        spoolMaxBytes: 1 << 24,
        heartbeatMs: 500,
      },
      pino({ level: "silent" }),
    );
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => errors.push(e.message));
  });

  after(async () => {
    await chromium?.close();
    await reporter?.close();
    await h?.stop();
  });

  afterEach(() => assert.deepEqual(errors, [], "no script errors on the page"));

  it("signs in with a bearer token and shows the newest findings", async () => {
    await page.goto(h.webUrl);
    await page.fill("#token", "not-a-token-of-this-collector");
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("form.login .error:text('does not know this token')");
    await page.fill("#token", h.tokens.triager);
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("table.findings tbody tr");
    await settled();
    assert.match((await page.textContent("header nav"))!, /alice \(triager\)/);
    const newestFirst = [...seeded].sort((a, b) => b.firstSeenMs - a.firstSeenMs).map((r) => r.id);
    assert.deepEqual(await rows(), newestFirst.slice(0, 50));
    assert.equal(await page.textContent("table.findings tbody tr:first-child td.path a"), seeded[0].path);
    assert.match((await page.textContent("#findings-status"))!, /Findings 1–50 of 90$/);
    await shot("findings");
  });

  it("filters by namespace and reason", async () => {
    await page.fill("#filter-namespace", "db");
    await page.selectOption("#filter-reason", "volume");
    await page.click("form.filters button[type=submit]");
    await page.waitForFunction(() => location.hash.includes("namespace=db"));
    await settled();
    const expected = seeded.filter((r) => r.k8sNamespace === "db" && r.reason === "volume").map((r) => r.id);
    assert.ok(expected.length > 3);
    assert.deepEqual(await rows(), expected);
    for (const workload of await cells("workload")) assert.match(workload, /^db\//);
    for (const reason of await cells("reason")) assert.equal(reason, "volume");
    await page.click("form.filters button[type=reset]");
    await page.waitForFunction(() => !location.hash.includes("namespace"));
    await settled();
    assert.equal((await rows()).length, 50);
  });

  it("sorts by count both ways and pages with keyset tokens", async () => {
    await page.click("button.sort[data-sort=count]");
    await page.waitForFunction(() => location.hash.includes("sort=count_desc"));
    await settled();
    const counts = (await cells("count")).map(Number);
    assert.equal(counts[0], Math.max(...seeded.map((r) => r.count)));
    assert.deepEqual(
      counts,
      [...counts].sort((a, b) => b - a),
    );
    assert.equal(await page.getAttribute("th:has(button[data-sort=count])", "aria-sort"), "descending");
    await page.click("button.sort[data-sort=count]");
    await page.waitForFunction(() => location.hash.includes("sort=count_asc"));
    await settled();
    const ascending = (await cells("count")).map(Number);
    assert.deepEqual(
      ascending,
      [...ascending].sort((a, b) => a - b),
    );
    await page.click("button.sort[data-sort=first_seen]"); // back to newest first
    await page.waitForFunction(() => location.hash.includes("sort=first_seen_desc"));
    await settled();
    const first = await rows();
    await page.click("nav.pager button:text('Older →')");
    await page.waitForFunction(() => location.hash.includes("page=2"));
    await settled();
    const second = await rows();
    assert.equal(second.length, SEEDED - 50);
    assert.match((await page.textContent("#findings-status"))!, /Findings 51–90 \(last page\)/);
    assert.deepEqual([...first, ...second].sort(), seeded.map((r) => r.id).sort(), "two pages: each finding once");
    assert.ok(await page.isDisabled("nav.pager button:text('Older →')"));
    await page.click("nav.pager button:text('← Newer')");
    await page.waitForFunction(() => !location.hash.includes("page="));
    await settled();
    assert.deepEqual(await rows(), first);
  });

  it("shows a finding's details and triages it with a comment, keeping the history", async () => {
    const target = seeded[4]; // copy of /bin/busybox, policy "" (agent default), enforce
    await page.goto(`${h.webUrl}/#/finding/${target.id}`);
    await page.waitForSelector(".triage");
    const detail = await page.textContent("main");
    for (const text of [target.path, target.sha256, target.cmdline, "/bin/busybox", target.parentExe, "enforce"]) {
      assert.ok(detail!.includes(text), `the detail shows ${text}`);
    }
    // The investigation context: ATT&CK and the lineage (the fixture's is an exec session).
    assert.ok(detail!.includes("T1105 Ingress Tool Transfer"), "the ATT&CK technique, named");
    assert.match(
      detail!,
      /\/bin\/busybox \[cp \/bin\/busybox \/tmp\/x\/ls\], pid 108, uid 0, at 2025-12-31 23:59:59 UTC/,
    );
    assert.match(detail!, /Exec session: the chain entered the container through the runtime/);
    const lineage = await page.$$eval(".lineage-table tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)),
    );
    assert.deepEqual(
      lineage.map((r) => [r[0], r[1], r[2]]),
      [
        ["110", "0 (root) / 0", "/bin/sh"],
        ["99", "outside the container", "/usr/bin/containerd-shim-runc-v2"],
      ],
    );
    assert.equal(await page.textContent("#triage-status"), "new");
    await page.fill("#triage-comment", "looking at it");
    await page.click("button[data-status=acknowledged]");
    await page.waitForSelector("#triage-status:text('acknowledged')");
    await page.click("button[data-status=false_positive]"); // a false positive needs a reason
    await page.waitForSelector(".triage-message:text('Say why')");
    await page.fill("#triage-comment", "package manager during the build");
    await page.click("button[data-status=false_positive]");
    await page.waitForSelector("#triage-status:text('false positive')");
    const history = await page.$$eval("ol.history li", (lis) => lis.map((li) => li.textContent));
    assert.equal(history.length, 2);
    assert.match(history[0]!, /new → acknowledged by alice\s*looking at it/);
    assert.match(history[1]!, /acknowledged → false positive by alice\s*package manager during the build/);
    // The same store records (UpdateTriage's code path), visible to the gRPC API too.
    const viaGrpc = await h.findings(h.tokens.reader).get({ id: target.id });
    assert.equal(viaGrpc.finding!.triageStatus, "TRIAGE_STATUS_FALSE_POSITIVE");
    assert.deepEqual(
      viaGrpc.triageHistory.map((e) => [e.actor, e.comment]),
      [
        ["alice", "looking at it"],
        ["alice", "package manager during the build"],
      ],
    );
    await shot("detail");
  });

  it("shows a finding sent through the agent API without a reload", async () => {
    await freshFindings();
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    reporter.write(driftFinding(777, { path: "/tmp/live/arrived", k8s: { namespace: "shop", pod: "web-0" } }));
    await page.waitForSelector("table.findings tbody tr:first-child td.path:has-text('/tmp/live/arrived')", {
      timeout: 15_000,
    });
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, "no reload");
    assert.equal((await rows()).length, 50, "the page keeps its size");
    assert.match((await page.textContent("#announce"))!, /New finding: blocked new file \/tmp\/live\/arrived/);
  });

  it("draws the overview: bars per hour, top images and namespaces, agents live and silent", async () => {
    // A degraded agent whose reason holds terminal and bidi controls; seen "in the future"
    // so that it stays live however slow the page is to load.
    const reason = "exec canary: \x1b[2J ran \u202etxt.exe";
    // prettier-ignore
    await h.collector.store.recordHeartbeat({
      cluster: "prod", node: "node-degraded", version: "0.1.0", mode: "enforce", containers: 2, spoolFull: 0,
      nativeVerdicts: 0, rejected: 0, spoolPending: 0, spoolBytes: 0, identity: "", lastSeenMs: Date.now() + 60_000,
      status: "degraded", reasons: [{ code: "canary", detail: reason, notReady: true }], statusSinceMs: Date.now() - 120_000,
    });
    await page.goto(`${h.webUrl}/#/overview`);
    await page.waitForSelector("#agents li.agent.live"); // the reporter's heartbeat
    assert.equal(await page.locator("#by-verdict svg g.bar").count(), 24, "24 hourly bars");
    assert.equal(await page.locator("#by-reason svg g.bar").count(), 24);
    const total = await page.$$eval("#by-verdict g.bar", (gs) =>
      gs.reduce((sum, g) => sum + Number((g as SVGGElement).dataset.total), 0),
    );
    const inRange = seeded.filter((r) => r.firstSeenMs > Date.now() - 23 * 3600_000).length;
    assert.ok(total >= inRange + 1 && total <= SEEDED + 1, `bars add up to the findings in range (${total})`);
    const blocked = await page.locator("#by-verdict rect[data-series=blocked]").count();
    const audited = await page.locator("#by-verdict rect[data-series=audited]").count();
    assert.ok(blocked > 0 && audited > 0, "both verdicts are drawn");
    const namespaces = await page.$$eval("#top-namespaces g.hbar", (gs) =>
      gs.map((g) => (g as SVGGElement).dataset.label),
    );
    assert.deepEqual([...namespaces].sort(), [...NAMESPACES].sort());
    const images = await page.$$eval("#top-images g.hbar", (gs) => gs.map((g) => (g as SVGGElement).dataset.label));
    for (let i = 0; i < 6; i++) assert.ok(images.includes(`registry.local/app-${i}:1`), `top images: app-${i}`);
    assert.match((await page.textContent("#agents li.agent.silent"))!, /node-silent.*last heartbeat 10m ago/s);
    // The in-process reporter sends no status (as an agent before it): unknown, never enforcing.
    assert.match((await page.textContent("#agents li.agent.live[data-node=node-live]"))!, /^\? unknown.*node-live/s);
    const degraded = page.locator("#agents li.agent.status-degraded");
    assert.match((await degraded.textContent())!, /^⚠ degraded since 2m ago.*node-degraded/s);
    const shown = page.locator("#agents li.agent.status-degraded li.reason[data-code=canary]");
    assert.equal(await shown.textContent(), "canary: exec canary: \\e[2J ran \\u202etxt.exe");
    assert.equal(await shown.locator("mark.esc").count(), 2, "both controls shown as marked escapes");
    assert.match((await page.textContent("#agents figcaption"))!, /2 live, 1 silent, 1 degraded/);
    await shot("overview");
  });

  it("can be used with the keyboard alone: Tab to a finding, Enter opens it", async () => {
    await freshFindings();
    const unlabelled = await page.$$eval("input, select, textarea, button", (els) =>
      els
        .filter(
          (e) =>
            !(e as HTMLElement).hidden &&
            !(e as HTMLInputElement).labels?.length &&
            !e.getAttribute("aria-label") &&
            !e.textContent?.trim(),
        )
        .map((e) => e.outerHTML),
    );
    assert.deepEqual(unlabelled, [], "every control has a label");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    let focused = "";
    for (let i = 0; i < 60 && !focused; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() =>
        document.activeElement?.closest("td.path") ? document.activeElement!.textContent! : "",
      );
    }
    assert.ok(focused, "Tab reaches the first finding's link");
    await page.keyboard.press("Enter");
    await page.waitForSelector(".triage");
    assert.equal(
      await page.evaluate(() => document.activeElement?.tagName),
      "H1",
      "focus moves to the detail's heading",
    );
    assert.match((await page.textContent("h1"))!, new RegExp(focused.replace(/[/.]/g, "\\$&")));
  });

  it("loads nothing from anywhere but the collector", () => {
    const foreign = requests.filter((url) => !url.startsWith(h.webUrl) && !url.startsWith("data:"));
    assert.deepEqual(foreign, []);
    assert.ok(requests.some((url) => url.endsWith("/app/main.js")));
  });
});
