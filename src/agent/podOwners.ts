// The owning workload of each container's pod for its findings: pod labels come from the
// pod's sandbox container (policy/podLabels.ts says why never the app container's own),
// learnt as sandboxes attach; the owner is inferred from them (runtime/podOwner.ts).
// Called on the agent's JS thread only.
import { SandboxLabelIndex } from "../policy/podLabels";
import { podOwner, type PodOwner } from "../runtime/podOwner";
import type { ContainerRecord } from "../runtime/types";

export class PodOwners {
  private readonly labels = new SandboxLabelIndex();

  /** A container attached: a sandbox brings its pod's labels. */
  observe(container: ContainerRecord): void {
    this.labels.observe(container);
  }

  /** A container went: a sandbox takes its pod's labels with it. */
  forget(container: ContainerRecord): void {
    this.labels.forget(container);
  }

  /** The container's pod's owner; undefined outside Kubernetes or while its sandbox is unknown. */
  ownerOf(container: ContainerRecord | undefined): PodOwner | undefined {
    if (!container?.k8s.pod) return undefined;
    const labels = this.labels.labelsFor(container);
    return labels ? podOwner(container.k8s.pod, labels) : undefined;
  }
}
