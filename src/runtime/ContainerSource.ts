// Where the agent learns about containers: a container runtime on this node, and that
// runtime's conventions the exec guard must know (where container filesystems live, how
// container cgroups are named). containerd is the first implementation
// (ContainerdSource.ts); nothing outside runtime/ knows a runtime's socket, paths or labels.
import type { ContainerRecord, RuntimeWatcherEvents } from "./types";

export type ContainerSourceEvents = RuntimeWatcherEvents;

/** What the exec guard needs of the runtime's layout before the first container attaches. */
export interface ContainerLayout {
  /** Directories whose children are snapshot dirs (image and writable layers). */
  snapshotRoots: string[];
  /** cgroup path fragments that mark a process as being in some container (held until attached). */
  cgroupMarkers: string[];
  /** The runtime's sockets and state dirs: a container that mounts them controls the runtime. */
  runtimePaths?: { sockets: string[]; state: string[] };
  /**
   * Host paths of the OCI runtime binaries the runtime's shims exec to create and start a
   * container (runc, crun): each exec of one pauses the exec ignore marks until no container
   * is pending (native/README.md, "A new container sharing layers").
   */
  runtimeBinaries?: string[];
}

/** Per-container facts that follow from the runtime's conventions. */
export interface RuntimeConventions {
  /** Last component of the container's cgroup path: how the native side tells its processes. */
  cgroupLeaf(record: ContainerRecord): string;
  /** The snapshot root holding the container's layers, or undefined when it has none of its own. */
  snapshotRootOf(record: ContainerRecord): string | undefined;
}

export interface ContainerSource extends RuntimeConventions {
  /** The runtime's name, for logs: "containerd". */
  readonly runtime: string;
  /**
   * The layout on this node; `exists` tells whether a path exists on the host. Throws an
   * error that names the setting to fix when the runtime's snapshot dir is not there.
   */
  layout(exists: (path: string) => boolean): ContainerLayout;
  on<E extends keyof ContainerSourceEvents>(event: E, listener: ContainerSourceEvents[E]): void;
  /**
   * Kills every process of the container's task (SIGKILL): how a policy stops a container
   * whose posture it forbids. The runtime then reports the exit (`detach`).
   */
  stopTask(record: ContainerRecord): Promise<void>;
  /** Keys (containerKey) of every container with a live task (created or running) now, from the runtime. */
  liveContainers(): Promise<Set<string>>;
  /** Resolves once every container running now was reported with `attach`. */
  start(): Promise<void>;
  /** No event after it resolves. Idempotent. */
  stop(): Promise<void>;
}
