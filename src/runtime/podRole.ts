// How a container stands to its Kubernetes pod, read from what the runtime gives it (labels,
// bind mounts). containerd's CRI plugin labels an app container with kubelet's container
// labels (io.kubernetes.pod.name/namespace/uid, io.kubernetes.container.name) merged with
// its *image's* labels: the pod's labels are only on the pod's sandbox (pause) container,
// labelled io.cri-containerd.kind=sandbox. A container created outside CRI (ctr, tests)
// is its own pod.
import type { ContainerRecord } from "./types";

const CRI_KIND_LABEL = "io.cri-containerd.kind";
/** containerd's CRI plugin binds /etc/hostname, /etc/resolv.conf from here. */
const CRI_SANDBOX_FILES = "/io.containerd.grpc.v1.cri/sandboxes/";
/** Runtime bookkeeping, not pod labels. */
const RESERVED_PREFIXES = ["io.kubernetes.", "io.cri-containerd.", "io.containerd.", "org.opencontainers."];

/** sandbox: carries the pod's labels; container: a CRI app container (its labels include its image's); standalone: not created through CRI. */
export type PodRole = "sandbox" | "container" | "standalone";

export function podRoleOf(container: ContainerRecord): PodRole {
  const kind = container.labels[CRI_KIND_LABEL];
  if (kind === undefined) return "standalone";
  return kind === "sandbox" ? "sandbox" : "container";
}

/** Labels without the runtime's own (io.kubernetes.*, io.cri-containerd.*, …). */
export function podLabelsOf(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (!RESERVED_PREFIXES.some((prefix) => key.startsWith(prefix))) out[key] = value;
  }
  return out;
}

/** A bind source the runtime made for the pod's sandbox (/etc/hostname, /etc/resolv.conf): no volume. */
export function isRuntimeSandboxFile(source: string): boolean {
  return source.includes(CRI_SANDBOX_FILES);
}
