// The posture view in a real headless Chromium against an in-process collector: posture
// findings grouped by workload with their property, Pod Security rule, GuardDuty type, what
// the spec shows and since when (exec drift never listed there); a property opens its
// finding with what it means for drift; the findings table filtered by posture_*; the
// overview counts posture apart from exec drift; a live one is announced by its workload. The
// tests run in order as one session.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import pino from "pino";
import type { Page } from "playwright-core";

import type { FindingRecord } from "../../../src/collector/store/FindingStore";
import { POSTURE } from "../../../src/domain/posture";
import { postureFinding } from "../../../src/posture/postureFinding";
import { startReporter } from "../../../src/report/Reporter";
import { launchChromium, type Chromium } from "../../testbed/browser";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { findingRecord } from "../../testbed/findingFixtures";
import { containerRecord } from "../../unit/policy/fixtures";
import { plainSpec } from "../../unit/posture/specs";

const HOUR = 3600_000;

/** A posture finding as the collector stores it: no path, no hash, its spec evidence. */
function postureRecord(
  id: string,
  reason: keyof typeof POSTURE,
  pod: string,
  over: Partial<FindingRecord> & Pick<FindingRecord, "firstSeenMs" | "postureField" | "postureValue">,
): FindingRecord {
  return findingRecord(0, {
    id,
    reason,
    k8sNamespace: "shop",
    pod,
    k8sContainer: "app",
    containerId: `${pod}-c`,
    path: "",
    hostPath: "",
    sha256: "",
    verdict: "audited",
    action: "audited",
    policyMode: "audit",
    policyName: "",
    lastSeenMs: over.firstSeenMs,
    ...over,
  });
}

describe("posture view in Chromium", function () {
  this.timeout(60_000);
  let h: Harness;
  let chromium: Chromium;
  let page: Page;
  const errors: string[] = [];
  const now = Date.now();
  const posture = [
    postureRecord("p-priv", "posture_privileged", "priv-0", {
      firstSeenMs: now - 3 * HOUR,
      postureField: "process.capabilities.bounding, linux.resources.devices",
      postureValue: "41 capabilities including CAP_SYS_ADMIN; every device allowed",
    }),
    postureRecord("p-root", "posture_sensitive_mount", "priv-0", {
      firstSeenMs: now - 3 * HOUR + 1000,
      postureField: "mounts[7]",
      postureValue: "/ -> /host (read-only): the host's root filesystem",
      postureKey: "/host",
    }),
    postureRecord("p-caps", "posture_capabilities", "tools-0", {
      firstSeenMs: now - 2 * HOUR,
      postureField: "process.capabilities.bounding",
      postureValue: "CAP_SYS_ADMIN (dangerous), CAP_IPC_LOCK",
    }),
    postureRecord("p-stopped", "posture_host_pid", "debug-0", {
      firstSeenMs: now - HOUR,
      postureField: "linux.namespaces",
      postureValue: "no pid namespace of its own: the host's",
      verdict: "blocked",
      action: "killed",
      policyMode: "enforce",
      policyName: "no-host-pid",
    }),
  ];
  const drift = [0, 1, 2].map((i) => findingRecord(i, { firstSeenMs: now - (i + 1) * HOUR, lastSeenMs: now - HOUR }));

  before(async () => {
    h = await startHarness();
    await h.collector.store.ingest([...drift, ...posture], now - 60_000);
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.on("pageerror", (e) => errors.push(e.message));
  });

  after(async () => {
    await chromium?.close();
    await h?.stop();
  });

  afterEach(() => assert.deepEqual(errors, [], "no script errors on the page"));

  it("lists posture findings by workload: property, rule, GuardDuty type, spec, since when", async () => {
    await page.goto(h.webUrl);
    await page.fill("#token", h.tokens.reader);
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("table.findings tbody tr");
    await page.click("header nav a[href='#/posture']");
    await page.waitForFunction(() => document.getElementById("posture-status")?.dataset.for === "#/posture");
    assert.equal(await page.textContent("#posture-status"), "4 posture findings in 3 workloads");
    const groups = await page.$$eval("table.posture tbody", (bodies) =>
      bodies.map((b) => [
        (b as HTMLElement).dataset.workload,
        [...b.querySelectorAll("tr")].map((tr) => (tr as HTMLElement).dataset.id),
      ]),
    );
    assert.deepEqual(groups, [
      ["shop/debug-0/app", ["p-stopped"]],
      ["shop/priv-0/app", ["p-priv", "p-root"]],
      ["shop/tools-0/app", ["p-caps"]],
    ]);
    // The workload header spans its rows, so a row's cells count from the property on.
    const byId = async (id: string) =>
      page.$$eval(`table.posture tr[data-id='${id}'] td`, (tds) => tds.map((td) => td.textContent ?? ""));
    assert.deepEqual(await byId("p-priv"), [
      "privileged",
      "baseline: Privileged Containers",
      "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
      "process.capabilities.bounding, linux.resources.devices: 41 capabilities including CAP_SYS_ADMIN; every device allowed",
      new Date(posture[0].firstSeenMs).toISOString().replace("T", " ").slice(0, 19),
      "audited",
      "new",
    ]);
    assert.deepEqual((await byId("p-root")).slice(0, 3), [
      "sensitive host mount",
      "baseline: HostPath Volumes",
      "Persistence:Kubernetes/ContainerWithSensitiveMount",
    ]);
    assert.deepEqual((await byId("p-caps")).slice(2, 3), ["—"], "no GuardDuty type for added capabilities");
    assert.equal((await byId("p-stopped"))[5], "stopped", "a killed container reads as stopped");
    for (const reason of await page.$$eval("table.posture tbody tr", (trs) =>
      trs.map((tr) => (tr as HTMLElement).dataset.reason!),
    )) {
      assert.match(reason, /^posture_/, "exec drift is not in the posture view");
    }
    await page.screenshot({ path: path.join(chromium.shots, "posture.png"), fullPage: true });
  });

  it("opens a property's finding with what it means for drift", async () => {
    await page.click("table.posture tr[data-id='p-priv'] a");
    await page.waitForSelector("section:has-text('What it means')");
    assert.equal(await page.textContent("h1"), "Posture: privileged");
    const detail = (await page.textContent("main"))!;
    for (const text of [
      POSTURE.posture_privileged.meaning,
      "PrivilegeEscalation:Kubernetes/PrivilegedContainer",
      "41 capabilities including CAP_SYS_ADMIN; every device allowed",
      "shop/priv-0/app",
    ]) {
      assert.ok(detail.includes(text), `the detail shows ${text}`);
    }
    assert.ok(!detail.includes("Command line"), "a posture finding has no exec to show");
    await page.goto(`${h.webUrl}/#/finding/p-stopped`);
    await page.waitForSelector("section:has-text('What it means')");
    assert.equal(await page.textContent("h1"), "Stopped: host PID namespace");
  });

  it("filters the findings table by posture_*", async () => {
    await page.goto(`${h.webUrl}/#/findings?reason=posture_*`);
    await page.waitForFunction(() => document.getElementById("findings-status")?.dataset.for === location.hash);
    const ids = await page.$$eval("table.findings tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));
    assert.deepEqual([...ids].sort(), posture.map((r) => r.id).sort());
    assert.equal(await page.inputValue("#filter-reason"), "posture_*", "the form shows the filter it applies");
    const shown = await page.textContent("table.findings tr[data-id='p-root'] td.path");
    // The spec instead of a path, cut at the table's 60 characters like any long cell.
    assert.match(shown ?? "", /^mounts\[7\]: \/ -> \/host \(read-only\): the host's root filesyste… /);
  });

  it("counts posture on the overview apart from exec drift", async () => {
    await page.goto(`${h.webUrl}/#/overview`);
    await page.waitForSelector("#posture figcaption");
    assert.equal(
      await page.textContent("#posture figcaption"),
      "Containers with a risky posture: 4 posture findings first seen in range",
    );
    const bars = await page.$$eval("#posture g.hbar", (gs) =>
      gs.map((g) => [(g as SVGGElement).dataset.label, Number((g as SVGGElement).dataset.value)]),
    );
    assert.deepEqual([...bars].sort(), [
      ["added capabilities", 1],
      ["host PID namespace", 1],
      ["privileged", 1],
      ["sensitive host mount", 1],
    ]);
    const execTotal = await page.$$eval("#by-verdict g.bar", (gs) =>
      gs.reduce((sum, g) => sum + Number((g as SVGGElement).dataset.total), 0),
    );
    assert.equal(execTotal, drift.length, "the exec charts count exec drift only");
    assert.match((await page.textContent("#by-verdict figcaption"))!, /\(3 in range\)/);
    await page.click("#posture a[href='#/posture']");
    await page.waitForFunction(() => document.getElementById("posture-status")?.dataset.for === "#/posture");
  });

  it("announces a posture finding sent through the agent API by its workload", async () => {
    const reporter = startReporter(
      {
        ...h.agentConnection(),
        clusterName: "prod",
        nodeName: "node-live",
        stateDir: path.join(h.dir, "agent"),
        spoolMaxBytes: 1 << 24,
      },
      pino({ level: "silent" }),
    );
    try {
      await page.goto(`${h.webUrl}/#/findings?reason=posture_*`);
      await page.waitForSelector(".live-badge[data-state=connected]");
      const labels = { "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.name": "late-0" };
      const record = containerRecord(
        "late",
        { ...labels, "io.kubernetes.container.name": "app" },
        { security: plainSpec() },
      );
      const property = { reason: "posture_host_network" as const, specField: "linux.namespaces", value: "v", key: "" };
      const policy = { name: "p", mode: "audit" as const, level: "baseline" as const, stop: false, allow: [] };
      reporter.write(postureFinding(property, record, policy, false, "node-live"));
      await page.waitForFunction(() => document.getElementById("announce")?.textContent?.includes("host network"), {
        timeout: 15_000,
      });
      assert.equal(await page.textContent("#announce"), "New finding: audited host network shop/late-0/app");
    } finally {
      await reporter.close();
    }
  });
});
