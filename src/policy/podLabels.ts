// Where a container's pod labels come from. containerd's CRI plugin labels an app
// container with kubelet's container labels (io.kubernetes.pod.name/namespace/uid,
// io.kubernetes.container.name) merged with its *image's* labels: the pod's labels are
// only on the pod's sandbox (pause) container, labelled io.cri-containerd.kind=sandbox.
// An app container's own labels must never select a policy: an image author could set
// them. So CRI containers take their labels from their sandbox, found by pod uid; a
// container created outside CRI (ctr, tests) is its own pod and its labels are used.
import type { ContainerRecord } from "../runtime/types";

export const CRI_KIND_LABEL = "io.cri-containerd.kind";
/** Runtime bookkeeping, not pod labels. */
const RESERVED_PREFIXES = ["io.kubernetes.", "io.cri-containerd.", "io.containerd.", "org.opencontainers."];
const MAX_PODS = 16384;

export interface PodLabelSource {
  /** The pod's labels for this container; undefined while they are not known. */
  labelsFor(container: ContainerRecord): Record<string, string> | undefined;
}

/** Labels without the runtime's own (io.kubernetes.*, io.cri-containerd.*, …). */
export function podLabelsOf(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) out[key] = value;
  }
  return out;
}

function podKey(container: ContainerRecord): string | undefined {
  const uid = container.k8s.podUid;
  return uid ? `${container.namespace}/${uid}` : undefined;
}

/**
 * Pod labels learnt from the sandbox containers the agent sees (they have tasks, so the
 * runtime watcher attaches them like any container, normally before their pod's others).
 */
export class SandboxLabelIndex implements PodLabelSource {
  private readonly pods = new Map<string, Record<string, string>>();

  /** Learns a sandbox's labels; true when a pod's labels are new or changed. */
  observe(container: ContainerRecord): boolean {
    const key = podKey(container);
    if (container.labels[CRI_KIND_LABEL] !== "sandbox" || !key) return false;
    const labels = podLabelsOf(container.labels);
    const known = this.pods.get(key);
    if (known && sameLabels(known, labels)) return false;
    this.pods.delete(key);
    this.pods.set(key, labels);
    if (this.pods.size > MAX_PODS) this.pods.delete(this.pods.keys().next().value!);
    return true;
  }

  /** Forgets a pod when its sandbox goes. */
  forget(container: ContainerRecord): void {
    const key = podKey(container);
    if (key && container.labels[CRI_KIND_LABEL] === "sandbox") this.pods.delete(key);
  }

  labelsFor(container: ContainerRecord): Record<string, string> | undefined {
    const kind = container.labels[CRI_KIND_LABEL];
    if (kind === undefined) return podLabelsOf(container.labels); // not a CRI container
    if (kind === "sandbox") return podLabelsOf(container.labels);
    const key = podKey(container);
    return key ? this.pods.get(key) : undefined;
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k])
  );
}
