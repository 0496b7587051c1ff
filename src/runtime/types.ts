// What the agent learns about a container from containerd.
import type { SecuritySpec } from "./securitySpec";

/** A mount from the container's OCI runtime spec. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface ContainerRootfs {
  /** The writable layer (overlay upperdir); "" for a read-only rootfs. */
  upperDir: string;
  /** Image layer directories, top first, as in the overlay lowerdir option. */
  lowerDirs: string[];
  /**
   * A stable identity per lower dir, same order: the snapshot name (a chain ID, content
   * addressed) when containerd tells it, else a string derived from the directory.
   */
  layerIdentities: string[];
}

export interface KubernetesIdentity {
  namespace?: string;
  pod?: string;
  podUid?: string;
  container?: string;
}

export interface ContainerRecord {
  id: string;
  /** containerd namespace (k8s.io for Kubernetes). */
  namespace: string;
  image: string;
  /** Manifest digest of the image, when containerd knows the image. */
  imageDigest?: string;
  labels: Record<string, string>;
  k8s: KubernetesIdentity;
  snapshotter: string;
  snapshotKey: string;
  rootfs: ContainerRootfs;
  mounts: OciMount[];
  /** linux.cgroupsPath of the spec ("" if absent). */
  cgroupsPath: string;
  /** Pid of the task's init process. */
  pid: number;
  /** The spec's security facts, for the posture judgement; absent when not read (tests). */
  security?: SecuritySpec;
}

export interface RuntimeWatcherEvents {
  /** A task exists (found at start, created, or started): the container can be attached. */
  attach: (container: ContainerRecord) => void;
  /** The task exited or the container was deleted: forget it. */
  detach: (namespace: string, id: string) => void;
  /** Connected (again) to containerd; `containers` were listed. */
  connected: (info: { containers: number }) => void;
  disconnected: (info: { error: string; retryInMs: number }) => void;
}
