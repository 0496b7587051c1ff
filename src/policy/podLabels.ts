// Where a container's pod labels come from: for a CRI app container its sandbox's labels
// (found by pod uid), never its own, which an image author could set; a sandbox's and a
// standalone container's own labels otherwise. The runtime tells which is which
// (runtime/podRole.ts).
import { podLabelsOf, podRoleOf } from "../runtime/podRole";
import type { ContainerRecord } from "../runtime/types";

const MAX_PODS = 16384;

export interface PodLabelSource {
  /** The pod's labels for this container; undefined while they are not known. */
  labelsFor(container: ContainerRecord): Record<string, string> | undefined;
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
    if (podRoleOf(container) !== "sandbox" || !key) return false;
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
    if (key && podRoleOf(container) === "sandbox") this.pods.delete(key);
  }

  labelsFor(container: ContainerRecord): Record<string, string> | undefined {
    if (podRoleOf(container) !== "container") return podLabelsOf(container.labels);
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
