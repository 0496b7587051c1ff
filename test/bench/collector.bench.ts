// Collector ingest, SQLite and PostgreSQL (durable settings: fsync on), over mTLS on loopback
// with the agent's real reporter, the agent bound to its node by a ServiceAccount token
// (checked at each stream's start; each finding's node and cluster against it):
//   backlog: N findings already in an agent's spool (as after a collector outage) drain to
//            the collector; findings/s from connect to the last ack, and send→ack latency.
//   steady:  findings written at a fixed rate (a busy node); ack latency p50/p99.
// Baseline in the same run: store.ingest() called directly with the same batches (no gRPC,
// no agent), so `ratio` is the share of the database's own speed the whole path achieves.
import * as path from "node:path";
import pino from "pino";

import { recordFromApi } from "../../src/collector/records";
import { toApiFinding } from "../../src/report/apiFinding";
import { startReporter, type Reporter, type ReporterConfig } from "../../src/report/Reporter";
import { startHarness, type Harness } from "../testbed/collectorHarness";
import { driftFinding } from "../testbed/findingFixtures";
import { PostgresTestBed } from "../testbed/PostgresTestBed";
import { TEST_ISSUER, TestIssuer } from "../testbed/testIssuer";

const BACKLOG = 20_000;
const STEADY_PER_SEC = 2_000;
const STEADY_SECONDS = 5;
const quiet = pino({ level: "silent" });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

async function until(test: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function benchStore(store: string, db: string | undefined, offset: number): Promise<void> {
  const issuer = new TestIssuer();
  const h: Harness = await startHarness({
    db,
    agentToken: { issuer: TEST_ISSUER, cluster: "bench", jwks: issuer.jwksFile },
    reloadMs: 5000, // the collector's default; tests poll faster
  });
  const tokenFile = path.join(h.dir, "agent-token");
  issuer.writeToken(tokenFile, issuer.token("node-a")); // driftFinding()'s node
  try {
    const config = (stateDir: string, address = h.address): ReporterConfig => ({
      ...h.agentConnection(undefined, tokenFile),
      address,
      clusterName: "bench",
      nodeName: "node-a",
      stateDir: path.join(h.dir, stateDir),
      spoolMaxBytes: 256 << 20,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    // Baseline: the store alone, batches of 500 as the agent sends them.
    const records = Array.from({ length: BACKLOG }, (_, i) => {
      const now = Date.now();
      return recordFromApi(
        toApiFinding(driftFinding(offset + i), {
          id: `base${offset + i}`,
          cluster: "b",
          firstSeenMs: now,
          lastSeenMs: now,
          count: 1,
        }),
      );
    });
    let began = performance.now();
    for (let i = 0; i < records.length; i += 500) await h.collector.store.ingest(records.slice(i, i + 500), Date.now());
    const directPerSec = BACKLOG / ((performance.now() - began) / 1000);

    // Backlog: spooled while no collector was reachable, then delivered.
    const offline = startReporter(config("agent-backlog", "localhost:1"), quiet);
    for (let i = 0; i < BACKLOG; i++) offline.write(driftFinding(offset + BACKLOG + i));
    await offline.close();
    began = performance.now();
    const draining: Reporter = startReporter(config("agent-backlog"), quiet);
    await until(() => draining.stats().spool.pending === 0, 300_000, "backlog delivered");
    const backlogPerSec = BACKLOG / ((performance.now() - began) / 1000);
    const backlogLatency = draining.takeAckLatencies();
    await draining.close();
    print(store, "backlog", {
      findings: BACKLOG,
      findingsPerSec: Math.round(backlogPerSec),
      ackP50Ms: round(percentile(backlogLatency, 50)),
      ackP99Ms: round(percentile(backlogLatency, 99)),
      directIngestPerSec: Math.round(directPerSec),
      ratio: round(backlogPerSec / directPerSec),
    });

    // Steady: a fixed rate, findings sent as they come.
    const live = startReporter(config("agent-live"), quiet);
    await until(() => live.stats().stream.connects > 0, 10_000, "connected");
    const total = STEADY_PER_SEC * STEADY_SECONDS;
    let written = 0;
    began = performance.now();
    while (written < total) {
      const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * STEADY_PER_SEC));
      for (; written < due; written++) live.write(driftFinding(offset + 2 * BACKLOG + written));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await until(() => live.stats().spool.pending === 0, 60_000, "steady load delivered");
    const steadyLatency = live.takeAckLatencies();
    await live.close();
    print(store, "steady", {
      findings: total,
      offeredPerSec: STEADY_PER_SEC,
      ackP50Ms: round(percentile(steadyLatency, 50)),
      ackP99Ms: round(percentile(steadyLatency, 99)),
      batches: steadyLatency.length,
    });
  } finally {
    await h.stop();
    issuer.remove();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

function print(store: string, scenario: string, result: Record<string, number>): void {
  const human = Object.entries(result)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  process.stdout.write(`${store.padEnd(8)} ${scenario.padEnd(8)} ${human}\n`);
  process.stdout.write(JSON.stringify({ bench: "collector", store, scenario, ...result }) + "\n");
}

export async function bench(): Promise<void> {
  await benchStore("sqlite", undefined, 0);
  const pg = await PostgresTestBed.start({ durable: true });
  try {
    await benchStore("postgres", await pg.createDatabase("bench"), 1_000_000);
  } finally {
    await pg.stop();
  }
}
