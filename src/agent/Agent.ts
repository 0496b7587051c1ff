// The agent on one node: the exec guard, the container source (containerd), baselines and
// findings, composed. start() returns once every container that already runs is attached.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { BaselineBuilder } from "../baseline/BaselineBuilder";
import { componentLogger, type Logger } from "../log/logger";
import { nativeBinding, type NativeExecGuard, type VerdictRecord } from "../native/binding";
import type { BpfCoverage, BpfSensorStats } from "../native/bpfBinding";
import type { WriteTrackerStats } from "../native/writeTrackerBinding";
import type { PolicySource } from "../policy/PolicySource";
import { PostureMonitor } from "../posture/PostureMonitor";
import { apparmorEnabled, hostProcDir, readProcessFacts } from "../posture/processFacts";
import { driftFinding, type DriftFinding } from "../report/DriftFinding";
import type { ContainerLayout, ContainerSource } from "../runtime/ContainerSource";
import type { FindingSinks } from "../sink/FindingSinks";
import type { AgentConfig } from "./AgentConfig";
import type { HealthFacts } from "./agentHealth";
import { runCapabilitySelfTest } from "./capabilitySelfTest";
import { ContainerAttacher } from "./ContainerAttacher";
import { EbpfSensor } from "./EbpfSensor";
import { ebpfRequirementProblem } from "./ebpfRequirement";
import { ExecCanary, type CanaryResult } from "./ExecCanary";
import { FilesystemMarks } from "./FilesystemMarks";
import { FileWriters } from "./FileWriters";
import { detectHostView, hostPath, type HostView } from "./HostView";
import { LineageReader } from "./lineage/LineageReader";
import { PodOwners } from "./podOwners";
import { SampleKeeper } from "./samples/SampleKeeper";
import { SampleSpool } from "./samples/SampleSpool";
import { startPauseResumer, type StartPauseResumer } from "./StartPauseResumer";
import { containerKey } from "../runtime/containerKey";

interface Preflight {
  view: HostView;
  layout: ContainerLayout;
  roots: Set<string>;
  volumeRoots: string[];
}

export class Agent {
  private readonly logger: Logger = componentLogger("agent");
  private guard?: NativeExecGuard;
  private attacher?: ContainerAttacher;
  private resumer?: StartPauseResumer;
  private sensor?: EbpfSensor;
  private canary?: ExecCanary;
  private prepared?: Preflight;
  private sourceStarted = false;
  private runtimeConnected = false;
  private readonly lineage = new LineageReader();
  private writers?: FileWriters;
  private view?: HostView;
  private readonly owners = new PodOwners();
  private keeper?: SampleKeeper;
  /** Containers whose attach failed, until they go. */
  private readonly unattached = new Set<string>();

  constructor(
    private readonly config: AgentConfig,
    private readonly policies: PolicySource,
    /** Where containers come from (runtime/openContainerSource.ts). */
    private readonly source: ContainerSource,
    /** Where findings go (agent/agentSinks.ts registers them). */
    private readonly sinks: FindingSinks<DriftFinding>,
  ) {}

  /**
   * How the agent sees the node, and the capability self-test: throws one line naming what
   * is missing. Call it before taking anything shared (the spool slot); start() calls it
   * when nobody did.
   */
  preflight(): Preflight {
    if (this.prepared) return this.prepared;
    const { config, source } = this;
    const view = (this.view = detectHostView());
    const layout = source.layout((p) => fs.existsSync(hostPath(view, p)));
    const roots = new Set(layout.snapshotRoots);
    const volumeRoots = fs.existsSync(hostPath(view, config.kubeletPodsDir)) ? [config.kubeletPodsDir] : [];
    // Nothing is marked before every facility the guard needs is proven (one line if not).
    const marked = [...roots, ...volumeRoots].map((dir) => ({ hostPath: dir, openPath: hostPath(view, dir) }));
    const checks = runCapabilitySelfTest(marked, nativeBinding());
    this.logger.info({ checks }, "capability self-test passed");
    return (this.prepared = { view, layout, roots, volumeRoots });
  }

  async start(): Promise<void> {
    const { config, source } = this;
    const { view, layout, roots, volumeRoots } = this.preflight();
    const podsDir = hostPath(view, config.kubeletPodsDir);
    fs.mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    this.samples();
    // Mounted before any mark: once marked, our own execs (mount) wait for the guard.
    const canary = (this.canary = new ExecCanary(
      path.join(config.stateDir, `canary-${process.pid}`),
      config.deadlineMs,
      componentLogger("canary"),
    ));
    canary.mount();
    const { ExecGuard } = nativeBinding();
    const guard = (this.guard = new ExecGuard(
      {
        deadlineMs: config.deadlineMs,
        failMode: config.failMode,
        ignoreMarkLimit: config.execIgnoreMarks,
        ignoreMarksStartPaused: true, // until the runtime binaries are watched and nothing is pending
      },
      (batch) => this.onVerdicts(batch),
    ));
    const marks = new FilesystemMarks(guard);
    for (const root of roots) marks.markFilesystem(hostPath(view, root), true);
    if (volumeRoots.length > 0) marks.markFilesystem(podsDir, true);
    if (config.writeTracking) {
      const dirs = [...[...roots].map((r) => hostPath(view, r)), ...(volumeRoots.length > 0 ? [podsDir] : [])];
      this.writers = FileWriters.start(dirs, view.mountNamespace, this.logger);
    }
    guard.apply({
      snapshotRoots: [...roots],
      volumeRoots,
      containerCgroupMarkers: layout.cgroupMarkers,
      hostMountNamespace: view.mountNamespace,
      hostRootPrefix: view.rootPrefix,
      ...(this.policies.denyPaths ? { loadedDenyPaths: this.policies.denyPaths() } : {}),
    });
    canary.stage(guard, marks);
    // Execs start waiting for us from here on; unknown containers are held until attached.
    guard.start();
    const sensor = (this.sensor = new EbpfSensor(componentLogger("bpf"), view, (record) => this.onVerdicts([record])));
    const coverage = sensor.start();
    const unmet = config.requireEbpf ? ebpfRequirementProblem(coverage) : undefined;
    if (unmet) throw new Error(unmet); // the caller stops the agent: marks removed
    marks.follow(sensor); // before any container: its execs are judged against the marks
    const runtimePaths = layout.runtimePaths ?? { sockets: [], state: [] };
    const posture = new PostureMonitor({
      policies: this.policies,
      host: {
        runtimeSockets: runtimePaths.sockets,
        runtimeState: runtimePaths.state,
        kubeletPodsDir: config.kubeletPodsDir,
        apparmorEnabled: apparmorEnabled(),
      },
      processFacts: (pid) => readProcessFacts(pid, hostProcDir(view)),
      stopTask: (record) => source.stopTask(record),
      report: (finding) => this.sinks.write(finding),
      node: config.nodeName || os.hostname(),
      logger: componentLogger("posture"),
    });
    const attacher = (this.attacher = new ContainerAttacher({
      guard,
      marks,
      builder: new BaselineBuilder({
        stateDir: config.stateDir,
        limits: config.imageBudget,
        logger: componentLogger("baseline"),
      }),
      policies: this.policies,
      view,
      logger: componentLogger("attach"),
      snapshotRoots: roots,
      runtime: source,
      followers: [sensor, posture],
    }));
    this.policies.onChange(() => attacher.refreshPolicies());
    const runtimeBinaries = (layout.runtimeBinaries ?? []).map((p) => hostPath(view, p));
    if (config.execIgnoreMarks > 0) this.resumer = startPauseResumer(guard, source, attacher, runtimeBinaries);
    // Containers found at start are awaited, so start() means "everything running is enforced".
    let initial: Promise<void>[] | undefined = [];
    source.on("attach", (record) => {
      this.owners.observe(record);
      const key = containerKey(record.namespace, record.id);
      const done = attacher.attach(record).then(
        () => void this.unattached.delete(key),
        (error: unknown) => {
          this.unattached.add(key);
          this.logger.error({ container: record.id, err: error }, "attach failed");
        },
      );
      initial?.push(done);
    });
    source.on("detach", (namespace, id) => {
      const record = attacher.record(containerKey(namespace, id));
      if (record) this.owners.forget(record);
      this.unattached.delete(containerKey(namespace, id));
      attacher.detach(namespace, id);
    });
    source.on("connected", () => (this.runtimeConnected = true));
    source.on("disconnected", () => (this.runtimeConnected = false));
    this.sourceStarted = true;
    await source.start();
    await Promise.all(initial);
    initial = undefined;
    if (!this.guard) return; // stopped while starting
    const proof = await canary.start(config.canaryIntervalMs);
    this.logger.info(
      {
        node: config.nodeName,
        runtime: source.runtime,
        mode: config.mode,
        failMode: config.failMode,
        deadlineMs: config.deadlineMs,
        imageBudget: config.imageBudget,
        containers: attacher.size,
        hostView: view.source,
        marks: guard.stats().marks,
        canary: proof.detail,
      },
      "agent started",
    );
  }

  /** What the agent knows of its own health (agentHealth.ts judges it for /readyz and the heartbeat). */
  healthFacts(): Omit<HealthFacts, "started" | "spoolFull" | "policyErrors"> {
    const sensorStats = this.sensor?.stats();
    return {
      runtime: this.source.runtime,
      runtimeConnected: this.runtimeConnected,
      mode: this.config.mode,
      failMode: this.config.failMode,
      guard: this.guard?.stats(),
      canary: this.canary?.result(),
      ebpf: this.sensor && {
        coverage: this.sensor.coverage(),
        lost: sensorStats ? sensorStats.ringbufFull + sensorStats.findingsDropped : 0,
        unattributed: this.sensor.unattributed(),
      },
      unattached: this.unattached.size,
      imagesWithoutBaseline: this.attacher?.imagesWithoutBaseline() ?? 0,
    };
  }

  /** The exec canary's last check (undefined before the first). */
  canaryResult(): CanaryResult | undefined {
    return this.canary?.result();
  }

  stats(): ReturnType<NativeExecGuard["stats"]> | undefined {
    return this.guard?.stats();
  }

  /** Findings given a lineage, and those over the lineage budget (src/agent/lineage/LineageReader.ts). */
  lineageStats(): { read: number; skipped: number } {
    return this.lineage.stats();
  }

  /** The write tracking's counters; undefined when it is off or unavailable. */
  writeStats(): WriteTrackerStats | undefined {
    return this.writers?.stats();
  }

  /** The captured samples: the node's spool and the capture counters (created on first use). */
  samples(): SampleKeeper {
    const spool = () =>
      new SampleSpool(path.join(this.config.stateDir, "samples"), this.config.sampleSpoolBytes, this.logger);
    return (this.keeper ??= new SampleKeeper(spool(), componentLogger("samples")));
  }

  /** The eBPF sensor's coverage and counters (undefined before start or without a sensor). */
  ebpf(): { coverage: BpfCoverage; stats: BpfSensorStats } | undefined {
    const coverage = this.sensor?.coverage();
    const stats = this.sensor?.stats();
    return coverage && stats && { coverage, stats };
  }

  /** Stops watching, answers every pending exec, removes all marks. Idempotent. */
  async stop(): Promise<void> {
    this.resumer?.stop();
    this.resumer = undefined;
    if (this.sourceStarted) await this.source.stop();
    this.sourceStarted = false;
    this.sensor?.close();
    this.sensor = undefined;
    this.writers?.close();
    this.writers = undefined;
    if (this.guard) {
      this.guard.flushVerdicts();
      this.guard.close();
      this.guard = undefined;
      this.logger.info("agent stopped; marks removed");
    }
    await this.canary?.close(); // after the guard: its umount exec must not wait for it
    this.canary = undefined;
  }

  private onVerdicts(batch: VerdictRecord[]): void {
    const node = this.config.nodeName || os.hostname();
    for (const record of batch) {
      // The eBPF sensor does not know policy names; the attacher does.
      if (!record.policy && record.containerId) record.policy = this.attacher?.policy(record.containerId)?.name ?? "";
      const container = this.attacher?.record(record.containerId);
      const lineage = this.lineage.read(record, container?.pid ?? 0, record.timeMs);
      const writer = this.writers?.writerOf(record.hostPath && hostPath(this.view!, record.hostPath)) ?? null;
      this.keeper?.keep(record);
      this.sinks.write(driftFinding(record, container, node, this.owners.ownerOf(container), lineage, writer));
    }
  }
}
