// A malicious image must not knock the node's guard out (issue 12, item 6), scaled for
// `npm test`: three generated layers of 12 000 entries each, every one within the budget
// of 20 000 entries, together over it (the attack on a per-layer limit: today's real
// budget and millions of entries run in `npm run bench hostileImage`). The image is
// reported once, the agent stays up, and every container stays guarded.
import * as assert from "node:assert/strict";

import { HOSTILE_IMAGE, HostileScenario, isOverBudget } from "./hostileScenario";

const BUDGET = 20_000;

describe("a hostile image over its baseline budget @root", function () {
  this.timeout(300000);
  const scenario = new HostileScenario({
    layers: [
      { entries: 12_000, perDir: 1000, top: "gen0" },
      { entries: 12_000, perDir: 0, top: "gen1" }, // one flat directory
      { entries: 12_000, perDir: 1000, top: "gen2" },
    ],
    agentArgs: ["--image-budget-entries", String(BUDGET)],
    memoryLimitBytes: 1024 * 1024 * 1024,
  });

  before(() => scenario.start());
  after(() => scenario.stop());

  it("is reported once, naming the image, the budget and what passed it", () => {
    const [report, ...more] = scenario.overBudgetReports();
    assert.deepEqual(more, []);
    assert.equal(report.level, 50, "error level");
    assert.deepEqual(report.budget, { maxEntries: BUDGET, maxManifestBytes: 192 * 1024 * 1024 });
    assert.equal(report.exceeded, "maxEntries");
    assert.equal((report.counted as { entries: number }).entries, BUDGET + 1);
    assert.equal(report.baselineFailed, true);
    assert.match(
      String(report.msg),
      /writable-layer execs as unverified \(their policy answers: refused in enforce, reported in audit\)/,
    );
    assert.match(String(report.detail), /reached in layer 3 of 4/);
  });

  it("keeps its container guarded: image files run by location, writable-layer execs are refused", async () => {
    const image = await scenario.sh("huge", "/bin/echo image-ok; ls /gen0/d0 | wc -l");
    assert.equal(image.code, 0, image.stderr);
    assert.match(image.stdout, /image-ok\n1000/);
    const { run, finding } = await scenario.drift("huge", "x");
    assert.equal(run.code, 126, run.stderr);
    assert.doesNotMatch(run.stdout, /drift-ran/);
    assert.equal(finding.verdict, "blocked");
    assert.equal(finding.container.image, HOSTILE_IMAGE);
    assert.equal(finding.reason, "unverified", "no file there can be shown to be the image's");
  });

  it("still blocks drift in a container of a normal image on the same node", async () => {
    const { run, finding } = await scenario.drift("normal", "n");
    assert.equal(run.code, 126, run.stderr);
    assert.equal(finding.reason, "new_file");
    assert.equal(finding.copyOf, "/bin/busybox", "the normal image's baseline is there");
  });

  it("reads and reports the image once: a container after the last one left fails at once, also guarded", async () => {
    const agent = scenario.agent!;
    const computed = agent.lines.filter((l) => l.msg === "layer baseline computed").length;
    await scenario.bed!.remove("huge"); // the image's last container: the agent drops the image
    await agent.waitFor((l) => l.msg === "container detached" && l.container === "huge");
    await scenario.bed!.run("huge2", HOSTILE_IMAGE, ["sleep", "100000"]);
    await agent.waitFor((l) => l.msg === "image over its baseline budget (reported before)" && l.container === "huge2");
    assert.equal(scenario.overBudgetReports().length, 1);
    assert.equal(agent.lines.filter((l) => l.msg === "layer baseline computed").length, computed, "nothing read again");
    const { run } = await scenario.drift("huge2", "y");
    assert.equal(run.code, 126);
    assert.equal(scenario.agent!.lines.filter(isOverBudget).length, 1);
  });

  it("leaves the agent up, in its memory cgroup, never at the limit", () => {
    const agent = scenario.agent!;
    assert.deepEqual(
      [agent.stderr.join(""), agent.lines.some((l) => l.msg === "agent stopped; marks removed")],
      ["", false],
    );
    process.kill(agent.pid, 0); // throws if it is gone
    const { peak } = scenario.rssMiB();
    assert.ok(peak < 1024, `peak RSS ${peak} MiB`);
    if (scenario.cgroup) assert.equal(scenario.cgroup.limitHits(), 0);
  });
});
