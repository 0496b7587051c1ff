// Nothing is lost and nothing duplicated: 10 000 findings from an agent's reporter (a child
// process) reach a real collector (a child process, SQLite) while the collector is killed
// and restarted, stopped and restarted, and the reporter process is restarted once.
import * as assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";

import { FindingsClient } from "../../../src/collector/findingsClient";
import type { ReporterConfig } from "../../../src/report/Reporter";
import { CollectorProcess } from "../../testbed/CollectorProcess";
import { testCerts, testTokens } from "../../testbed/testCerts";

const TOTAL = 10_000;
const CHILD = path.resolve(__dirname, "..", "..", "testbed", "reporterChild.js");

interface Progress {
  msg: string;
  next: number;
  pending: number;
  acked: number;
  connects: number;
  dropped: number;
}

class ReporterChild {
  last?: Progress;
  private readonly child: ChildProcess;
  readonly exited: Promise<void>;
  stderr = "";

  constructor(config: ReporterConfig, from: number) {
    this.child = spawn(process.execPath, [CHILD], {
      env: { ...process.env, DRIFTGUARD_REPORTER_CHILD: JSON.stringify({ config, from, to: TOTAL, perTick: 20 }) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    readline.createInterface({ input: this.child.stdout! }).on("line", (l) => (this.last = JSON.parse(l) as Progress));
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on("exit", () => resolve()));
  }

  async until(what: string, test: (p: Progress) => boolean, timeoutMs = 60_000): Promise<Progress> {
    const deadline = Date.now() + timeoutMs;
    while (!this.last || !test(this.last)) {
      if (Date.now() > deadline)
        throw new Error(`reporter: timed out waiting for ${what}; last ${JSON.stringify(this.last)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.last;
  }

  async stop(): Promise<Progress> {
    this.child.kill("SIGTERM");
    await this.exited;
    assert.equal(this.last?.msg, "stopped", this.stderr);
    return this.last!;
  }
}

describe("findings delivery through collector and agent restarts", function () {
  this.timeout(180_000);
  let dir: string;
  const collectors: CollectorProcess[] = [];
  const reporters: ReporterChild[] = [];

  after(async () => {
    for (const r of reporters) await r.stop().catch(() => undefined);
    for (const c of collectors) await c.stop("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stores exactly 10 000 distinct findings, none duplicated", async () => {
    const certs = testCerts();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-resilience-"));
    const tokens = testTokens(dir);
    const port = await freePort();
    // prettier-ignore
    const collectorArgs = [
      "--listen", `127.0.0.1:${port}`, "--db", `sqlite:${path.join(dir, "findings.db")}`,
      "--tls-cert", certs.server.certFile, "--tls-key", certs.server.keyFile, "--client-ca", certs.ca.certFile,
      "--tokens", tokens.file, "--retention-days", "0",
    ];
    const startCollector = async () => {
      const c = await CollectorProcess.start(collectorArgs);
      collectors.push(c);
      return c;
    };
    const config: ReporterConfig = {
      address: `localhost:${port}`,
      caFile: certs.ca.certFile,
      certFile: certs.agent.certFile,
      keyFile: certs.agent.keyFile,
      clusterName: "prod",
      nodeName: "node-a",
      stateDir: path.join(dir, "agent-state"),
      spoolMaxBytes: 64 << 20,
      backoff: { initialMs: 100, maxMs: 1000 },
    };

    let collector = await startCollector();
    const first = new ReporterChild(config, 0);
    reporters.push(first);
    await first.until("2000 generated and some delivered", (p) => p.next >= 2000 && p.acked > 0);
    await collector.stop("SIGKILL"); // a crash: whatever was not acked is resent
    await first.until("3500 generated while the collector is down", (p) => p.next >= 3500);
    collector = await startCollector();
    await first.until("delivery resumed", (p) => p.connects >= 2 && p.acked >= 3000);
    const stopped = await first.stop(); // the agent restarts, with findings still in its spool
    assert.ok(stopped.next < TOTAL, "restarted in the middle of the run");
    const second = new ReporterChild(config, stopped.next);
    reporters.push(second);
    await second.until("1500 more generated", (p) => p.next >= stopped.next + 1500);
    await collector.stop("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    collector = await startCollector();
    const done = await second.until(
      "everything generated and acknowledged",
      (p) => p.next === TOTAL && p.pending === 0,
    );
    assert.equal(done.dropped, 0);

    const client = new FindingsClient({
      address: `localhost:${port}`,
      caFile: certs.ca.certFile,
      token: tokens.reader,
    });
    try {
      const ids = new Set<string>();
      const paths = new Set<string>();
      let rows = 0;
      let pageToken = "";
      do {
        const page = await client.list({ pageSize: 1000, pageToken });
        for (const f of page.findings) {
          ids.add(f.id);
          paths.add(f.path);
          assert.equal(f.count, 1);
        }
        rows += page.findings.length;
        pageToken = page.nextPageToken;
      } while (pageToken);
      assert.equal(rows, TOTAL);
      assert.equal(ids.size, TOTAL);
      assert.equal(paths.size, TOTAL, "each generated finding stored once");
      for (let i = 0; i < TOTAL; i += 997) assert.ok(paths.has(`/tmp/drift/${i}`), `finding ${i} missing`);
    } finally {
      client.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
