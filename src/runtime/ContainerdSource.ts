// containerd as the agent's ContainerSource: the runtime watcher on containerd's socket,
// containerd's overlayfs snapshotter layout and its cgroup naming.
import * as path from "node:path";

import type { Logger } from "../log/logger";
import { cgroupLeaf, containerCgroupMarkers } from "./cgroupLeaf";
import { ContainerdClient } from "./ContainerdClient";
import { containerKey } from "./containerKey";
import { listLiveTaskKeys } from "./liveContainers";
import type { ContainerLayout, ContainerSource, ContainerSourceEvents } from "./ContainerSource";
import { RuntimeWatcher } from "./RuntimeWatcher";
import type { ContainerRecord } from "./types";

export interface ContainerdConfig {
  containerdAddress: string;
  /** containerd's root dir; snapshots live under <root>/io.containerd.snapshotter.v1.overlayfs. */
  containerdRoot: string;
  /** containerd namespaces to watch (k8s.io holds Kubernetes containers). */
  namespaces: string[];
  /** The OCI runtime binaries containerd's shims exec (runc, crun), as host paths; missing ones are skipped. */
  runtimeBinaries: string[];
}

export const DEFAULT_CONTAINERD_CONFIG: ContainerdConfig = {
  containerdAddress: "/run/containerd/containerd.sock",
  containerdRoot: "/var/lib/containerd",
  namespaces: ["k8s.io"],
  // Where distributions and the upstream release install runc and crun.
  runtimeBinaries: [
    "/usr/bin/runc",
    "/usr/sbin/runc",
    "/usr/local/bin/runc",
    "/usr/local/sbin/runc",
    "/usr/bin/crun",
    "/usr/sbin/crun",
    "/usr/local/bin/crun",
    "/usr/local/sbin/crun",
  ],
};

export const OVERLAY_SNAPSHOTTER_DIR = "io.containerd.snapshotter.v1.overlayfs";

export class ContainerdSource implements ContainerSource {
  readonly runtime = "containerd";
  private readonly watcher: RuntimeWatcher;
  /** For kills and lists (the watcher's client follows events); made at the first call. */
  private client?: ContainerdClient;

  constructor(
    private readonly config: ContainerdConfig,
    logger: Logger,
  ) {
    this.watcher = new RuntimeWatcher({ address: config.containerdAddress, namespaces: config.namespaces, logger });
  }

  layout(exists: (path: string) => boolean): ContainerLayout {
    const snapshotRoot = path.join(this.config.containerdRoot, OVERLAY_SNAPSHOTTER_DIR, "snapshots");
    if (!exists(snapshotRoot)) {
      throw new Error(
        `no overlayfs snapshots under ${snapshotRoot}: is --containerd-root right, and does containerd use the overlayfs snapshotter?`,
      );
    }
    return {
      snapshotRoots: [snapshotRoot],
      cgroupMarkers: containerCgroupMarkers(this.config.namespaces),
      runtimePaths: {
        sockets: [this.config.containerdAddress.replace(/^unix:\/\//, "")],
        state: [this.config.containerdRoot],
      },
      runtimeBinaries: this.config.runtimeBinaries,
    };
  }

  async stopTask(record: ContainerRecord): Promise<void> {
    await this.ownClient().killTask(record.namespace, record.id, 9); // SIGKILL
  }

  async liveContainers(): Promise<Set<string>> {
    return listLiveTaskKeys(this.ownClient(), this.config.namespaces, containerKey);
  }

  private ownClient(): ContainerdClient {
    return (this.client ??= new ContainerdClient({ address: this.config.containerdAddress }));
  }

  cgroupLeaf(record: ContainerRecord): string {
    return cgroupLeaf(record.cgroupsPath, record.id);
  }

  /** …/snapshots/<n>/fs → …/snapshots, for a snapshotter root the layout did not name. */
  snapshotRootOf(record: ContainerRecord): string | undefined {
    const upper = record.rootfs.upperDir || record.rootfs.lowerDirs[0];
    if (!upper) return undefined;
    const root = path.dirname(path.dirname(upper));
    // Only a snapshotter's own "snapshots" dir: a root like "/" would hold every host exec.
    return path.basename(root) === "snapshots" ? root : undefined;
  }

  on<E extends keyof ContainerSourceEvents>(event: E, listener: ContainerSourceEvents[E]): void {
    // EventEmitter's conditional listener type does not narrow on a generic E.
    (this.watcher.on as (event: E, listener: ContainerSourceEvents[E]) => void).call(this.watcher, event, listener);
  }

  start(): Promise<void> {
    return this.watcher.start();
  }

  stop(): Promise<void> {
    this.client?.close();
    this.client = undefined;
    return this.watcher.stop();
  }
}
