// The agent's settings, with the defaults a node on EKS (Amazon Linux 2023) needs. The
// container runtime's own settings are the runtime's (runtime/openContainerSource.ts).
import type { ImageBudget } from "../baseline/budget";
import { DEFAULT_LIMITS } from "../baseline/limits";
import type { PolicyMode } from "../domain/verdict";
import type { FailMode } from "../native/binding";
import { DEFAULT_CONTAINERD_CONFIG } from "../runtime/ContainerdSource";
import type { RuntimeConfig } from "../runtime/openContainerSource";

export interface AgentConfig extends RuntimeConfig {
  /** Mode for containers no policy covers. */
  mode: PolicyMode;
  failMode: FailMode;
  deadlineMs: number;
  stateDir: string;
  nodeName: string;
  /** kubelet's pods dir: pod volumes live under it. Ignored when absent. */
  kubeletPodsDir: string;
  /** What one image's baseline may hold (src/baseline/budget.ts); an image over it is reported, its writable-layer execs refused. */
  imageBudget: ImageBudget;
  /** Exec ignore marks at most (image files whose later execs raise no event); 0 turns them off. */
  execIgnoreMarks: number;
  /** How often the exec canary proves the guard refuses. */
  canaryIntervalMs: number;
  /** Record who writes files on writable layers and volumes, for findings (native/writer). */
  writeTracking: boolean;
  /** Bytes the node's sample spool (<stateDir>/samples) may hold; more captures are dropped and counted. */
  sampleSpoolBytes: number;
  /** Stop at start when the eBPF sensor covers nothing, instead of running degraded. */
  requireEbpf: boolean;
}

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  ...DEFAULT_CONTAINERD_CONFIG,
  mode: "audit",
  failMode: "open",
  deadlineMs: 2000,
  stateDir: "/var/lib/driftguard",
  nodeName: "",
  kubeletPodsDir: "/var/lib/kubelet/pods",
  imageBudget: { maxEntries: DEFAULT_LIMITS.maxEntries, maxManifestBytes: DEFAULT_LIMITS.maxManifestBytes },
  // Each exec of the container runtime pauses them until no container is pending, so a new
  // container is held until attached (native/README.md, "A new container sharing layers").
  execIgnoreMarks: 16384,
  canaryIntervalMs: 30_000,
  writeTracking: true,
  sampleSpoolBytes: 256 * 1024 * 1024,
  requireEbpf: false,
};
