// The same ingest and query path over gRPC for each database: the agent's reporter sends,
// FindingService reads back, a resend changes nothing.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import pino from "pino";

import { startReporter } from "../../../src/report/Reporter";
import { startHarness } from "../../testbed/collectorHarness";
import { driftFinding } from "../../testbed/findingFixtures";

export function grpcIngestSuite(db: () => string | undefined): void {
  it("stores what a reporter sends, once, and serves it through FindingService", async () => {
    const h = await startHarness({ db: db() });
    try {
      const stateDir = path.join(h.dir, "agent");
      const spoolDir = path.join(stateDir, "spool");
      const config = { ...h.agentConnection(), clusterName: "c", nodeName: "n", stateDir, spoolMaxBytes: 1 << 24 };
      const silent = pino({ level: "silent" });
      // Spooled while the collector is unreachable, and a copy kept to deliver it all twice.
      const offline = startReporter({ ...config, address: "localhost:1" }, silent);
      for (let i = 0; i < 1500; i++) offline.write(driftFinding(i, i % 3 === 0 ? { reason: "volume" } : {}));
      await offline.close();
      fs.cpSync(spoolDir, spoolDir + ".copy", { recursive: true });
      for (const round of [1, 2]) {
        if (round === 2) {
          fs.rmSync(spoolDir, { recursive: true });
          fs.renameSync(spoolDir + ".copy", spoolDir);
        }
        const reporter = startReporter(config, silent);
        const deadline = Date.now() + 30_000;
        while (reporter.stats().spool.pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(reporter.stats().stream.findingsAcked, 1500, `round ${round}: all delivered`);
        await reporter.close();
      }
      const client = h.findings(h.tokens.reader);
      let total = 0;
      let token = "";
      do {
        const page = await client.list({ pageSize: 1000, pageToken: token });
        total += page.findings.length;
        token = page.nextPageToken;
      } while (token);
      assert.equal(total, 1500);
      const volume = await client.list({ filter: { reason: "DRIFT_REASON_VOLUME" } as never, pageSize: 1000 });
      assert.equal(volume.findings.length, 500);
      assert.equal(volume.findings[0].kubernetes!.pod, "web-0");
    } finally {
      await h.stop();
    }
  });
}
