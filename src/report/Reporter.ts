// The findings pipeline towards the collector: aggregate → encode → spool → stream.
// `driftguard agent` starts it when --collector-address is set; it is one of the agent's
// finding sinks (agent/agentSinks.ts), its bounded queue the spool on disk.
//
//   const reporter = startReporter(config, logger, () => ({ mode, containers, nativeDropped }));
//   sinks.add(reporter);
//   await sinks.close();
import * as fs from "node:fs";
import * as path from "node:path";

import { encodeMessage } from "../api/apiProto";
import { modeName, toTimestamp } from "../api/convert";
import type { AgentHealthReport } from "../domain/agentStatus";
import { healthMessage } from "../api/agentHealthMessage";
import type { ApiFinding } from "../api/types";
import type { Heartbeat } from "../api/agentTypes";
import { checkFinding } from "../api/validateFinding";
import type { Logger } from "../log/logger";
import type { PolicyMode } from "../domain/verdict";
import type { CollectorConnection } from "./agentClient";
import { Aggregator } from "./Aggregator";
import { CollectorStream, type CollectorStreamStats } from "./CollectorStream";
import type { DriftFinding } from "./DriftFinding";
import { newIncarnation } from "./findingId";
import { Spool, type SpoolStats } from "./spool/Spool";
import type { FindingSink, SinkStats } from "../sink/FindingSink";
import { fromPackageRoot } from "../util/packageRoot";

export interface ReporterConfig extends CollectorConnection {
  clusterName: string;
  nodeName: string;
  /** The spool lives in <stateDir>/spool, unless spoolDir says where. */
  stateDir: string;
  /** The agent's spool slot (spool/spoolSlot.ts): two agents on a node keep one each. */
  spoolDir?: string;
  spoolMaxBytes: number;
  /** Aggregation window. Default 5 min. */
  windowMs?: number;
  /** Count updates of open aggregates, at most this often. Default 10 s. */
  flushIntervalMs?: number;
  heartbeatMs?: number;
  fsyncIntervalMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

/** What the heartbeat tells about the agent. */
export interface AgentStatus {
  mode: PolicyMode;
  containers: number;
  nativeVerdictsDropped: number;
  /** The agent's status and why (agent/HealthMonitor.ts); absent: not said. */
  health?: AgentHealthReport;
}

export interface ReporterStats extends SinkStats {
  invalid: number;
  openAggregates: number;
  spool: SpoolStats;
  stream: CollectorStreamStats;
}

export interface Reporter extends FindingSink<DriftFinding> {
  stats(): ReporterStats;
  /** Send-to-ack latencies (ms) collected since the last call. */
  takeAckLatencies(): number[];
  /** Sends a heartbeat now (when connected): the agent's status changed. */
  heartbeatNow(): void;
}

export function startReporter(
  config: ReporterConfig,
  logger: Logger,
  status: () => AgentStatus = () => ({ mode: "audit", containers: 0, nativeVerdictsDropped: 0 }),
): Reporter {
  const spool = new Spool(
    {
      dir: config.spoolDir ?? path.join(config.stateDir, "spool"),
      maxBytes: config.spoolMaxBytes,
      fsyncIntervalMs: config.fsyncIntervalMs,
    },
    logger.child({ part: "spool" }),
  );
  spool.open();
  let written = 0;
  let invalid = 0;
  const heartbeat = (): Heartbeat => {
    const s = status();
    const spoolStats = spool.stats();
    return {
      agentVersion: VERSION,
      node: config.nodeName,
      cluster: config.clusterName,
      mode: modeName(s.mode),
      containers: s.containers,
      drops: {
        spoolFull: spoolStats.droppedFull,
        nativeVerdicts: s.nativeVerdictsDropped,
        rejected: stream.stats().rejected,
      },
      spoolPending: spoolStats.pending,
      spoolBytes: spoolStats.bytes,
      sentAt: toTimestamp(Date.now()),
      health: s.health ? healthMessage(s.health) : null,
    };
  };
  const stream = new CollectorStream({
    connection: config,
    spool,
    heartbeat,
    logger: logger.child({ part: "stream" }),
    heartbeatMs: config.heartbeatMs,
    backoff: config.backoff,
  });
  const enqueue = (finding: ApiFinding): void => {
    // The collector applies the same check; a finding it would reject is not worth spooling.
    const problem = checkFinding(finding);
    if (problem) {
      invalid++;
      logger.error({ id: finding.id, problem }, "finding cannot be reported (invalid); dropped");
      return;
    }
    if (spool.append(encodeMessage("Finding", finding)) !== undefined) stream.wake();
  };
  const aggregator = new Aggregator(
    { windowMs: config.windowMs, incarnation: newIncarnation(), cluster: config.clusterName },
    enqueue,
  );
  const flushTimer = setInterval(() => aggregator.flush(), config.flushIntervalMs ?? 10_000);
  flushTimer.unref();
  stream.start();
  logger.info({ address: config.address, insecure: !!config.insecure, pending: spool.pending }, "reporter started");
  let closed = false;
  return {
    name: "collector",
    write(finding: DriftFinding): void {
      if (closed) return;
      written++;
      try {
        aggregator.observe(finding);
      } catch (error) {
        // A full disk or a broken state dir must not take the agent down: the log line has it.
        logger.error({ err: error }, "finding not spooled");
      }
    },
    stats(): ReporterStats {
      const spoolStats = spool.stats();
      const streamStats = stream.stats();
      return {
        written,
        dropped: spoolStats.droppedFull + invalid + streamStats.rejected,
        invalid,
        openAggregates: aggregator.size,
        spool: spoolStats,
        stream: { ...streamStats, ackLatenciesMs: [] },
      };
    },
    takeAckLatencies: () => stream.takeAckLatencies(),
    heartbeatNow: () => stream.heartbeatNow(),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(flushTimer);
      aggregator.closeAll();
      stream.stop();
      spool.sync();
      spool.close();
      logger.info({ pending: spool.pending }, "reporter stopped; unacknowledged findings stay in the spool");
    },
  };
}

const VERSION = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(fromPackageRoot("package.json"), "utf8"));
    return String(pkg.version);
  } catch {
    return "unknown";
  }
}
