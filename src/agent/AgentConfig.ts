// The agent's settings, with the defaults a node on EKS (Amazon Linux 2023) needs.
import type { PolicyMode } from "../domain/verdict";
import type { FailMode } from "../native/binding";

export interface AgentConfig {
  containerdAddress: string;
  /** containerd's root dir; snapshots live under <root>/io.containerd.snapshotter.v1.overlayfs. */
  containerdRoot: string;
  /** containerd namespaces to watch (k8s.io holds Kubernetes containers). */
  namespaces: string[];
  /** Mode for containers no policy covers. */
  mode: PolicyMode;
  failMode: FailMode;
  deadlineMs: number;
  stateDir: string;
  nodeName: string;
  /** kubelet's pods dir: pod volumes live under it. Ignored when absent. */
  kubeletPodsDir: string;
}

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  containerdAddress: "/run/containerd/containerd.sock",
  containerdRoot: "/var/lib/containerd",
  namespaces: ["k8s.io"],
  mode: "audit",
  failMode: "open",
  deadlineMs: 2000,
  stateDir: "/var/lib/driftguard",
  nodeName: "",
  kubeletPodsDir: "/var/lib/kubelet/pods",
};

export const OVERLAY_SNAPSHOTTER_DIR = "io.containerd.snapshotter.v1.overlayfs";
