// The one place the agent's container runtime is chosen. Another runtime (CRI-O, say) is a
// ContainerSource of its own in runtime/, its settings in RuntimeConfig and a case here.
import { componentLogger } from "../log/logger";
import { ContainerdSource, type ContainerdConfig } from "./ContainerdSource";
import type { ContainerSource } from "./ContainerSource";

export type RuntimeConfig = ContainerdConfig;

export function openContainerSource(config: RuntimeConfig): ContainerSource {
  return new ContainerdSource(config, componentLogger("containerd"));
}
