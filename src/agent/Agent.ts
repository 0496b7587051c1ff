// The agent on one node: the exec guard, containerd discovery, baselines and findings,
// composed. start() returns once every container that already runs is attached.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { BaselineBuilder } from "../baseline/BaselineBuilder";
import { componentLogger, type Logger } from "../log/logger";
import { nativeBinding, type NativeExecGuard, type VerdictRecord } from "../native/binding";
import type { BpfCoverage, BpfSensorStats } from "../native/bpfBinding";
import type { PolicySource } from "../policy/PolicySource";
import { DriftLog } from "../report/DriftLog";
import { driftFinding, type DriftFinding } from "../report/DriftFinding";
import { RuntimeWatcher } from "../runtime/RuntimeWatcher";
import { OVERLAY_SNAPSHOTTER_DIR, type AgentConfig } from "./AgentConfig";
import { containerCgroupMarkers } from "./cgroupLeaf";
import { ContainerAttacher } from "./ContainerAttacher";
import { EbpfSensor } from "./EbpfSensor";
import { detectHostView, hostPath } from "./HostView";

export class Agent {
  private readonly logger: Logger = componentLogger("agent");
  private guard?: NativeExecGuard;
  private watcher?: RuntimeWatcher;
  private attacher?: ContainerAttacher;
  private sensor?: EbpfSensor;
  private containerdConnected = false;
  private readonly driftLog = new DriftLog(componentLogger("findings"));
  private readonly findingListeners: ((finding: DriftFinding) => void)[] = [];

  constructor(
    private readonly config: AgentConfig,
    private readonly policies: PolicySource,
  ) {}

  /** Called for every finding after it was logged (the report pipeline plugs in here). */
  onFinding(listener: (finding: DriftFinding) => void): void {
    this.findingListeners.push(listener);
  }

  async start(): Promise<void> {
    const { config } = this;
    const view = detectHostView();
    const snapshotRoot = path.join(config.containerdRoot, OVERLAY_SNAPSHOTTER_DIR, "snapshots");
    if (!fs.existsSync(hostPath(view, snapshotRoot))) {
      throw new Error(
        `no overlayfs snapshots under ${snapshotRoot}: is --containerd-root right, and does containerd use the overlayfs snapshotter?`,
      );
    }
    fs.mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    const { ExecGuard } = nativeBinding();
    const guard = (this.guard = new ExecGuard({ deadlineMs: config.deadlineMs, failMode: config.failMode }, (batch) =>
      this.onVerdicts(batch),
    ));
    const roots = new Set([snapshotRoot]);
    guard.markFilesystem(hostPath(view, snapshotRoot), true);
    const podsDir = hostPath(view, config.kubeletPodsDir);
    const volumeRoots = fs.existsSync(podsDir) ? [config.kubeletPodsDir] : [];
    if (volumeRoots.length > 0) guard.markFilesystem(podsDir, true);
    guard.apply({
      snapshotRoots: [...roots],
      volumeRoots,
      containerCgroupMarkers: containerCgroupMarkers(config.namespaces),
      hostMountNamespace: view.mountNamespace,
    });
    // Execs start waiting for us from here on; unknown containers are held until attached.
    guard.start();
    const sensor = (this.sensor = new EbpfSensor(componentLogger("bpf"), view, (record) => this.onVerdicts([record])));
    sensor.start();
    const attacher = (this.attacher = new ContainerAttacher({
      guard,
      builder: new BaselineBuilder({ stateDir: config.stateDir, logger: componentLogger("baseline") }),
      policies: this.policies,
      view,
      logger: componentLogger("attach"),
      snapshotRoots: roots,
      followers: [sensor],
    }));
    this.policies.onChange(() => attacher.refreshPolicies());
    const watcher = (this.watcher = new RuntimeWatcher({
      address: config.containerdAddress,
      namespaces: config.namespaces,
      logger: componentLogger("containerd"),
    }));
    // Containers found at start are awaited, so start() means "everything running is enforced".
    let initial: Promise<void>[] | undefined = [];
    watcher.on("attach", (record) => {
      const done = attacher.attach(record).catch((error: unknown) => {
        this.logger.error({ container: record.id, err: error }, "attach failed");
      });
      initial?.push(done);
    });
    watcher.on("detach", (namespace, id) => attacher.detach(namespace, id));
    watcher.on("connected", () => (this.containerdConnected = true));
    watcher.on("disconnected", () => (this.containerdConnected = false));
    await watcher.start();
    await Promise.all(initial);
    initial = undefined;
    this.logger.info(
      {
        node: config.nodeName,
        mode: config.mode,
        failMode: config.failMode,
        deadlineMs: config.deadlineMs,
        namespaces: config.namespaces,
        containers: attacher.size,
        hostView: view.source,
        marks: guard.stats().marks,
      },
      "agent started",
    );
  }

  /** For /readyz: containerd is followed (when it is not, known containers stay enforced). */
  health(): { containerdConnected: boolean } {
    return { containerdConnected: this.containerdConnected };
  }

  stats(): ReturnType<NativeExecGuard["stats"]> | undefined {
    return this.guard?.stats();
  }

  /** The eBPF sensor's coverage and counters (undefined before start or without a sensor). */
  ebpf(): { coverage: BpfCoverage; stats: BpfSensorStats } | undefined {
    const coverage = this.sensor?.coverage();
    const stats = this.sensor?.stats();
    return coverage && stats && { coverage, stats };
  }

  /** Stops watching, answers every pending exec, removes all marks. Idempotent. */
  async stop(): Promise<void> {
    await this.watcher?.stop();
    this.watcher = undefined;
    this.sensor?.close();
    this.sensor = undefined;
    if (this.guard) {
      this.guard.flushVerdicts();
      this.guard.close();
      this.guard = undefined;
      this.logger.info("agent stopped; marks removed");
    }
  }

  private onVerdicts(batch: VerdictRecord[]): void {
    const node = this.config.nodeName || os.hostname();
    for (const record of batch) {
      // The eBPF sensor does not know policy names; the attacher does.
      if (!record.policy && record.containerId) record.policy = this.attacher?.policy(record.containerId)?.name ?? "";
      const finding = driftFinding(record, this.attacher?.record(record.containerId), node);
      this.driftLog.write(finding);
      for (const listener of this.findingListeners) listener(finding);
    }
  }
}
