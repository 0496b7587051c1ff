// `driftguard agent`: runs the exec guard on this node until SIGTERM/SIGINT.
import { Agent } from "../agent/Agent";
import { AgentHttp } from "../agent/agentHttp";
import { HealthMonitor } from "../agent/HealthMonitor";
import { registerAgentSinks } from "../agent/agentSinks";
import { DEFAULT_AGENT_CONFIG, type AgentConfig } from "../agent/AgentConfig";
import { POLICY_MODES } from "../domain/verdict";
import { componentLogger } from "../log/logger";
import { nativeBinding } from "../native/binding";
import { parseListenAddress, type ListenAddress } from "../metrics/listenAddress";
import { DirectoryPolicySource } from "../policy/DirectoryPolicySource";
import { FixedModePolicy, type PolicySource } from "../policy/PolicySource";
import type { DriftFinding } from "../report/DriftFinding";
import { startReporter, type ReporterConfig } from "../report/Reporter";
import { SampleUploader } from "../report/SampleUploader";
import { takeSpoolSlot, type SpoolSlot } from "../report/spool/spoolSlot";
import { openContainerSource } from "../runtime/openContainerSource";
import { FindingSinks } from "../sink/FindingSinks";
import { UsageError, type Command } from "./command";
import { choice, parseFlags, positiveInt, type FlagSpec } from "./flags";
import { REPORTER_FLAGS, REPORTER_USAGE, reporterConfigFromFlags } from "./reporterFlags";

const d = DEFAULT_AGENT_CONFIG;
const MiB = 1024 * 1024;
const FLAGS: FlagSpec[] = [
  { name: "containerd-address", default: d.containerdAddress, env: true },
  { name: "containerd-root", default: d.containerdRoot, env: true },
  { name: "namespaces", default: d.namespaces.join(","), env: true },
  { name: "runtime-binaries", default: d.runtimeBinaries.join(","), env: true },
  { name: "mode", default: d.mode, env: true },
  { name: "fail-mode", default: d.failMode, env: true },
  { name: "deadline-ms", default: String(d.deadlineMs), env: true },
  { name: "state-dir", default: d.stateDir, env: true },
  { name: "node-name", default: "", env: true },
  { name: "kubelet-pods-dir", default: d.kubeletPodsDir, env: true },
  { name: "exec-ignore-marks", default: String(d.execIgnoreMarks), env: true },
  { name: "canary-interval-ms", default: String(d.canaryIntervalMs), env: true },
  { name: "write-tracking", default: d.writeTracking ? "on" : "off", env: true },
  { name: "sample-spool-mib", default: String(d.sampleSpoolBytes / MiB), env: true },
  { name: "require-ebpf", boolean: true, env: true },
  { name: "policy-dir", default: "", env: true },
  { name: "image-budget-entries", default: String(d.imageBudget.maxEntries), env: true },
  { name: "image-budget-mib", default: String(d.imageBudget.maxManifestBytes / MiB), env: true },
  { name: "metrics-address", default: ":9464", env: true },
  ...REPORTER_FLAGS,
];

const USAGE = `usage: driftguard agent [options]

Blocks (enforce) or records (audit) every exec of a binary that is not in its container's
image, on this node. Needs root (CAP_SYS_ADMIN for fanotify). Every option can also be
given as an environment variable DRIFTGUARD_<OPTION> (e.g. DRIFTGUARD_MODE=enforce).

  --containerd-address PATH   containerd socket [${d.containerdAddress}]
  --containerd-root DIR       containerd root dir [${d.containerdRoot}]
  --namespaces NS[,NS]        containerd namespaces to watch [${d.namespaces.join(",")}]
  --runtime-binaries P[,P]    host paths of the OCI runtimes the shims exec; each exec pauses the
                              exec ignore marks until the new container is attached
                              [${d.runtimeBinaries.join(",")}]
  --mode MODE                 enforce | audit | disabled, for every container [${d.mode}]
  --fail-mode MODE            answer for execs undecided at the deadline: open | closed [${d.failMode}]
  --deadline-ms N             watchdog deadline per exec [${d.deadlineMs}]
  --state-dir DIR             baseline cache and spool [${d.stateDir}]
  --node-name NAME            reported in findings [hostname; env NODE_NAME too]
  --kubelet-pods-dir DIR      kubelet's pods dir, pod volumes [${d.kubeletPodsDir}]
  --exec-ignore-marks N       image files whose later execs raise no event, at most; 0 turns the
                              fast path off (native/README.md) [${d.execIgnoreMarks}]
  --canary-interval-ms N      how often a staged drift exec must be refused (/readyz) [${d.canaryIntervalMs}]
  --write-tracking on|off     record who writes files on writable layers and volumes, named
                              in findings (FAN_MODIFY; costs write-heavy containers) [on]
  --sample-spool-mib N        captured samples the node keeps until the collector has them, in MiB
                              (policy capture.maxBytes); more are dropped and counted [${d.sampleSpoolBytes / MiB}]
  --require-ebpf              stop at start when the eBPF sensor covers nothing (fileless execs),
                              instead of running degraded [off]
  --policy-dir DIR            DriftPolicy files (*.yaml, e.g. a mounted ConfigMap), watched; --mode
                              then applies to containers no policy selects [none]
  --image-budget-entries N    entries one image's layers may hold together [${d.imageBudget.maxEntries}]
  --image-budget-mib N        manifest memory one image may take [${d.imageBudget.maxManifestBytes / MiB}]; an image
                              over either is reported once and its writable-layer execs are refused
  --metrics-address H:P       /metrics, /healthz, /readyz over HTTP; "" turns them off [:9464]
${REPORTER_USAGE}`;

export interface AgentArgs {
  agent: AgentConfig;
  /** DriftPolicy files; "" for --mode everywhere. */
  policyDir: string;
  /** undefined: no collector, findings only as log lines. */
  reporter?: ReporterConfig;
  /** undefined: no metrics and health endpoints. */
  metricsAddress?: ListenAddress;
}

export function agentArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentArgs {
  const flags = parseFlags(argv, FLAGS, env);
  const agent = agentConfigFromFlags(flags, env);
  const metrics = flags.values.get("metrics-address") ?? "";
  const metricsAddress = metrics ? parseListenAddress(metrics, "--metrics-address") : undefined;
  if (typeof metricsAddress === "string") throw new UsageError(metricsAddress);
  return {
    agent,
    policyDir: flags.values.get("policy-dir") ?? "",
    reporter: reporterConfigFromFlags(flags, agent),
    metricsAddress,
  };
}

export function agentConfigFromArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return agentArgs(argv, env).agent;
}

function agentConfigFromFlags(flags: ReturnType<typeof parseFlags>, env: NodeJS.ProcessEnv): AgentConfig {
  if (flags.positionals.length > 0) throw new UsageError(`unexpected argument ${flags.positionals[0]}`);
  const namespaces = flags.values
    .get("namespaces")!
    .split(",")
    .map((ns) => ns.trim())
    .filter(Boolean);
  if (namespaces.length === 0) throw new UsageError("--namespaces needs at least one namespace");
  const runtimeBinaries = flags.values
    .get("runtime-binaries")!
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const deadlineMs = positiveInt(flags, "deadline-ms");
  if (deadlineMs < 10 || deadlineMs > 600000) throw new UsageError("--deadline-ms must be between 10 and 600000");
  const execIgnoreMarks = Number(flags.values.get("exec-ignore-marks"));
  if (!Number.isSafeInteger(execIgnoreMarks) || execIgnoreMarks < 0 || execIgnoreMarks > 1 << 22) {
    throw new UsageError("--exec-ignore-marks must be an integer between 0 and 4194304");
  }
  return {
    containerdAddress: flags.values.get("containerd-address")!,
    containerdRoot: flags.values.get("containerd-root")!,
    namespaces,
    runtimeBinaries,
    mode: choice(flags, "mode", POLICY_MODES),
    failMode: choice(flags, "fail-mode", ["open", "closed"] as const),
    deadlineMs,
    stateDir: flags.values.get("state-dir")!,
    nodeName: flags.values.get("node-name") || env.NODE_NAME || "",
    kubeletPodsDir: flags.values.get("kubelet-pods-dir")!,
    imageBudget: {
      maxEntries: positiveInt(flags, "image-budget-entries"),
      maxManifestBytes: positiveInt(flags, "image-budget-mib") * MiB,
    },
    execIgnoreMarks,
    canaryIntervalMs: positiveInt(flags, "canary-interval-ms"),
    writeTracking: choice(flags, "write-tracking", ["on", "off"] as const) === "on",
    sampleSpoolBytes: positiveInt(flags, "sample-spool-mib") * MiB,
    requireEbpf: flags.booleans.has("require-ebpf"),
  };
}

export const agentCommand: Command = {
  name: "agent",
  summary: "block or audit drift on this node (needs root)",
  usage: USAGE,
  async run(argv) {
    const { agent: config, policyDir, reporter: reporterConfig, metricsAddress } = agentArgs(argv);
    const logger = componentLogger("main");
    const policies: PolicySource = policyDir
      ? new DirectoryPolicySource({
          dir: policyDir,
          defaultMode: config.mode,
          stateDir: config.stateDir,
          kubeletPodsDir: config.kubeletPodsDir,
          logger: componentLogger("policy"),
        })
      : new FixedModePolicy(config.mode);
    const sinks = new FindingSinks<DriftFinding>(logger);
    const agent = new Agent(config, policies, openContainerSource(config), sinks);
    let spoolSlot: SpoolSlot | undefined; // this agent's own, beside another agent's in a rollout
    try {
      agent.preflight(); // an agent that cannot guard says so before it takes anything shared
      spoolSlot = reporterConfig && takeSpoolSlot(config.stateDir, (file) => nativeBinding().holdFileLock(file));
    } catch (error) {
      logger.fatal({ err: error }, "agent failed to start");
      return 1;
    }
    if (spoolSlot) logger.info({ slot: spoolSlot.slot, dir: spoolSlot.dir }, "spool slot taken");
    // One judgement of the agent's health for /readyz, the heartbeat and the metric.
    const reporterStats: { read?: () => number } = {};
    const health = new HealthMonitor({
      agent: () => agent.healthFacts(),
      spoolFull: reporterConfig && (() => reporterStats.read?.() ?? 0),
      policyErrors: policies instanceof DirectoryPolicySource ? () => policies.stats().lastErrors : undefined,
    });
    // Started before the agent, so that not even the first finding waits for it.
    const reporter =
      reporterConfig &&
      startReporter({ ...reporterConfig, spoolDir: spoolSlot?.dir }, componentLogger("reporter"), () => ({
        mode: config.mode,
        containers: agent.stats()?.containers ?? 0,
        nativeVerdictsDropped: agent.stats()?.verdictsDropped ?? 0,
        health: health.report(),
      }));
    // Captured samples to the collector, beside the findings (src/report/SampleUploader.ts).
    const uploader =
      reporterConfig &&
      new SampleUploader({
        connection: reporterConfig,
        spool: agent.samples().spool,
        logger: componentLogger("samples"),
      });
    reporterStats.read = reporter && (() => reporter.stats().spool.droppedFull);
    const unwatchHealth = reporter ? health.watch(1000, () => reporter.heartbeatNow()) : undefined;
    let http: AgentHttp | undefined; // metrics and health endpoints (src/agent/agentHttp.ts)
    const shutDown = async () => {
      unwatchHealth?.();
      uploader?.stop();
      await agent.stop();
      await sinks.close();
      await reporter?.close(); // idempotent; not registered yet when the endpoints failed to start
      await policies.close?.();
      await http?.close();
    };
    // ---- metrics and health endpoints: listening before the agent starts (liveness) ----
    try {
      const uploads = () => uploader?.stats();
      http =
        metricsAddress &&
        (await AgentHttp.start({ address: metricsAddress, agent, reporter, uploads, policies, health, logger }));
    } catch (error) {
      logger.fatal({ err: error }, "agent failed to start");
      await shutDown();
      return 1;
    }
    // ---- end of metrics and health endpoints ----
    registerAgentSinks(sinks, { reporter, metrics: http?.findingCounter });
    let stopping: Promise<void> | undefined;
    const stopped = new Promise<void>((resolve) => {
      for (const signal of ["SIGTERM", "SIGINT"] as const) {
        process.once(signal, () => {
          logger.info({ signal }, "stopping");
          stopping ??= shutDown();
          void stopping.then(resolve);
        });
      }
    });
    try {
      await policies.start?.(); // policies are loaded before any container attaches
      await agent.start();
      health.markStarted(); // /readyz and the heartbeat's status
      uploader?.start();
    } catch (error) {
      logger.fatal({ err: error }, "agent failed to start");
      await shutDown();
      return 1;
    }
    await stopped;
    return 0;
  },
};
