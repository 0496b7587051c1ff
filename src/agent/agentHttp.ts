// The agent's HTTP endpoint (--metrics-address): Prometheus metrics, /healthz and /readyz
// for the DaemonSet's probes. Ready once Agent.start() returned (containerd reached, every
// running container attached, the exec guard started), while the guard runs and while
// containerd is reachable.
import { Registry, collectDefaultMetrics } from "prom-client";

import { layerCacheStats } from "../baseline/layerCache";
import type { Logger } from "../log/logger";
import { AgentMetrics } from "../metrics/agentMetrics";
import type { ListenAddress } from "../metrics/listenAddress";
import { MetricsServer, type Readiness } from "../metrics/MetricsServer";
import { DirectoryPolicySource } from "../policy/DirectoryPolicySource";
import type { PolicySource } from "../policy/PolicySource";
import type { DriftFinding } from "../report/DriftFinding";
import type { Reporter } from "../report/Reporter";
import type { FindingSink } from "../sink/FindingSink";
import type { Agent } from "./Agent";
import { registerContextMetrics } from "../metrics/contextMetrics";
import { registerSampleMetrics } from "../metrics/sampleMetrics";
import type { SampleUploaderStats } from "../report/SampleUploader";

export interface AgentHttpOptions {
  address: ListenAddress;
  agent: Agent;
  reporter?: Reporter;
  /** The sample uploader's counters (undefined without a collector). */
  uploads?: () => SampleUploaderStats | undefined;
  policies: PolicySource;
  logger: Logger;
}

export class AgentHttp {
  private started = false;

  private constructor(
    private readonly server: MetricsServer,
    readonly registry: Registry,
    /** The metrics' finding sink (agentSinks.ts registers it). */
    readonly findingCounter: FindingSink<DriftFinding>,
  ) {}

  /** Listening before the agent starts, so that liveness holds while it attaches containers. */
  static async start(o: AgentHttpOptions): Promise<AgentHttp> {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: "driftguard_agent_" });
    const policies = o.policies;
    const metrics = new AgentMetrics(registry, {
      guard: () => o.agent.stats(),
      reporter: o.reporter && (() => o.reporter!.stats()),
      policies: policies instanceof DirectoryPolicySource ? () => policies.stats() : undefined,
      layerCache: layerCacheStats,
      ebpf: () => o.agent.ebpf(),
      canary: () => o.agent.canaryResult(),
    });
    registerContextMetrics(registry, { lineage: () => o.agent.lineageStats(), writes: () => o.agent.writeStats() });
    registerSampleMetrics(registry, { keeper: () => o.agent.samples(), uploads: () => o.uploads?.() });
    const created: { http?: AgentHttp } = {}; // the server answers probes before the constructor ran
    const server = await MetricsServer.start({
      address: o.address,
      registry,
      logger: o.logger,
      ready: () => created.http?.readiness(o.agent) ?? { ready: false, detail: "starting" },
    });
    created.http = new AgentHttp(server, registry, metrics.findingCounter);
    return created.http;
  }

  get port(): number {
    return this.server.port;
  }

  /** Agent.start() returned. */
  markStarted(): void {
    this.started = true;
  }

  async close(): Promise<void> {
    await this.server.close();
  }

  private readiness(agent: Agent): Readiness {
    const { runtime, runtimeConnected } = agent.health();
    if (!this.started) return { ready: false, detail: `starting: connecting to ${runtime} and attaching containers` };
    const stats = agent.stats();
    if (!stats) return { ready: false, detail: "the exec guard is stopped" };
    if (!runtimeConnected) {
      return { ready: false, detail: `${runtime} unreachable: known containers stay enforced, new ones wait` };
    }
    const canary = agent.canaryResult();
    if (!canary?.ok) return { ready: false, detail: `exec canary: ${canary?.detail ?? "not checked yet"}` };
    return { ready: true, detail: `exec guard running, ${stats.containers} containers attached; ${canary.detail}` };
  }
}
