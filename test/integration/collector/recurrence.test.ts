// Issue 17 item 1 end to end: the agent's reporter sends a finding, a reviewer resolves it,
// the same exec runs again: the collector reopens it (history "recurred"), a gRPC watcher
// gets WATCH_EVENT_RECURRED and the webhook posts driftguard.finding.recurred.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import pino from "pino";

import type { WatchFindingsResponse } from "../../../src/api/types";
import { startReporter, type Reporter } from "../../../src/report/Reporter";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { driftFinding } from "../../testbed/findingFixtures";

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a resolved finding that recurs (agent → collector → watchers and webhook)", function () {
  this.timeout(60_000);
  let h: Harness;
  let reporter: Reporter;
  let server: http.Server;
  const posted: { type: string; finding: { id: string; count: number; triage: { status: string } } }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => (posted.push(JSON.parse(body)), res.writeHead(204).end()));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    h = await startHarness({ webhook: { url, secret: Buffer.from("0123456789abcdef"), queueLimit: 100 } });
    reporter = startReporter(
      {
        ...h.agentConnection(),
        clusterName: "prod",
        nodeName: "node-a",
        stateDir: path.join(h.dir, "agent"),
        spoolMaxBytes: 1 << 24,
      },
      pino({ level: "silent" }),
    );
  });
  after(async () => {
    await reporter?.close();
    await h?.stop();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("reopens it as new with a history entry, and tells watchers and the webhook", async () => {
    reporter.write(driftFinding(1));
    await until("the first report", () => posted.length === 1);
    const id = posted[0].finding.id;
    assert.equal(posted[0].type, "driftguard.finding.new");
    const triager = h.findings(h.tokens.triager);
    await triager.updateTriage({ id, status: "TRIAGE_STATUS_ACKNOWLEDGED", comment: "" });
    await triager.updateTriage({ id, status: "TRIAGE_STATUS_RESOLVED", comment: "image rebuilt" });

    const events: WatchFindingsResponse[] = [];
    const watch = h.findings(h.tokens.reader).watch({});
    watch.on("data", (e: WatchFindingsResponse) => events.push(e));
    watch.on("error", () => undefined); // cancelled at the end
    await new Promise((r) => setTimeout(r, 500)); // watching
    try {
      reporter.write(driftFinding(1)); // the same exec again: its count grows
      await until("the watch event", () => events.length > 0);
      assert.deepEqual(
        events.map((e) => [e.event, e.finding!.id, e.finding!.triageStatus]),
        [["WATCH_EVENT_RECURRED", id, "TRIAGE_STATUS_NEW"]],
      );
      await until("the webhook", () => posted.length === 2);
      assert.equal(posted[1].type, "driftguard.finding.recurred");
      assert.equal(posted[1].finding.triage.status, "new");
      assert.ok(posted[1].finding.count >= 2);
      const { triageHistory } = await triager.get({ id });
      const last = triageHistory[triageHistory.length - 1];
      assert.deepEqual(
        [last.from, last.to, last.actor, last.kind],
        ["TRIAGE_STATUS_RESOLVED", "TRIAGE_STATUS_NEW", "driftguard", "TRIAGE_EVENT_KIND_RECURRED"],
      );
      assert.match(last.comment, /recurred after resolved: \d+ more exec/);
    } finally {
      watch.cancel();
    }
  });
});
