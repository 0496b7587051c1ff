// The agent's HTTP endpoint (--metrics-address): Prometheus metrics, /healthz and /readyz
// for the DaemonSet's probes. Ready once Agent.start() returned (containerd reached, every
// running container attached, the exec guard started), while the guard runs, containerd is
// reachable and the exec canary passes: the HealthMonitor's judgement, which the heartbeat
// sends too (agentHealth.ts).
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";

import { AGENT_STATUSES } from "../domain/agentStatus";
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
import type { HealthMonitor } from "./HealthMonitor";
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
  health: HealthMonitor;
  logger: Logger;
}

export class AgentHttp {
  private constructor(
    private readonly server: MetricsServer,
    readonly registry: Registry,
    /** The metrics' finding sink (agentSinks.ts registers it). */
    readonly findingCounter: FindingSink<DriftFinding>,
  ) {}

  /** Listening before the agent starts, so that liveness holds while it attaches containers. */
  static async start(o: AgentHttpOptions): Promise<AgentHttp> {
    const registry = new Registry();
    // prom-client samples the event loop's delay every 10 ms by default: 100 wake-ups a
    // second of an idle agent on every node. Every 100 ms measures the same delays.
    collectDefaultMetrics({ register: registry, prefix: "driftguard_agent_", eventLoopMonitoringPrecision: 100 });
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
    new Gauge({
      name: "driftguard_agent_status",
      help: "1 for the agent's status now (starting, enforcing, auditing, disabled, degraded), as its heartbeat and /readyz say.",
      labelNames: ["status"] as const,
      registers: [registry],
      collect() {
        const now = o.health.current().status;
        for (const status of AGENT_STATUSES) this.set({ status }, status === now ? 1 : 0);
      },
    });
    registerSampleMetrics(registry, { keeper: () => o.agent.samples(), uploads: () => o.uploads?.() });
    const server = await MetricsServer.start({
      address: o.address,
      registry,
      logger: o.logger,
      ready: (): Readiness => {
        const { ready, detail } = o.health.current();
        return { ready, detail };
      },
    });
    return new AgentHttp(server, registry, metrics.findingCounter);
  }

  get port(): number {
    return this.server.port;
  }

  async close(): Promise<void> {
    await this.server.close();
  }
}
