// Which of a container's bind mounts expose the host: a sensitive place (the host's root,
// /etc, root's home, the kubelet's and the runtime's state, /proc, /sys, /dev), or the
// container runtime's socket. Pure: the host's own paths come in as a context.
import * as path from "node:path";

import { isRuntimeSandboxFile } from "../runtime/podRole";
import type { OciMount } from "../runtime/types";

export interface HostPaths {
  /** Container runtime sockets: the configured one and the well-known ones. */
  runtimeSockets: readonly string[];
  /** The runtime's state dirs (containerd's root), beyond /var/lib/containerd. */
  runtimeState: readonly string[];
  /** kubelet's pods dir (--kubelet-pods-dir): its parent is the kubelet's state. */
  kubeletPodsDir: string;
}

export const WELL_KNOWN_SOCKETS = [
  "/run/containerd/containerd.sock",
  "/run/docker.sock",
  "/run/crio/crio.sock",
  "/run/cri-dockerd.sock",
  "/run/dockershim.sock",
];

/** How much of a place's inside is sensitive too: nothing, what is writable, or all of it. */
type Inside = "none" | "writable" | "any";

interface Place {
  path: string;
  inside: Inside;
  what: string;
}

const PLACES: Place[] = [
  { path: "/", inside: "none", what: "the host's root filesystem" },
  // Inside /etc, only writable mounts: /etc/resolv.conf or /etc/localtime read-only is
  // routine; a writable /etc/cni/net.d makes the runtime run a program of the container's.
  { path: "/etc", inside: "writable", what: "the host's configuration" },
  { path: "/root", inside: "any", what: "root's home on the host" },
  { path: "/var/lib/kubelet", inside: "any", what: "the kubelet's state: every pod's volumes and secrets" },
  { path: "/var/lib/containerd", inside: "any", what: "the runtime's state: every container's filesystem" },
  { path: "/proc", inside: "writable", what: "the host's /proc" },
  { path: "/sys", inside: "writable", what: "the host's /sys" },
  { path: "/dev", inside: "writable", what: "the host's devices" },
];

export interface ExposingMount {
  reason: "posture_sensitive_mount" | "posture_runtime_socket";
  /** Index in the spec's mounts. */
  index: number;
  destination: string;
  /** The host path, normalized (/var/run as /run, no trailing /): what policy paths match. */
  source: string;
  writable: boolean;
  /** What it exposes, for the finding's evidence. */
  what: string;
}

/** /var/run is a link to /run on every distribution that matters: compare in one spelling. */
function canonical(p: string): string | undefined {
  if (!p.startsWith("/")) return undefined;
  const normal = path.posix.normalize(p).replace(/(.)\/+$/, "$1");
  return normal === "/var/run" || normal.startsWith("/var/run/") ? normal.slice("/var".length) : normal;
}

/** a is b or lies under it. */
function within(a: string, b: string): boolean {
  return a === b || b === "/" || a.startsWith(b + "/");
}

export function isBindMount(m: OciMount): boolean {
  return m.type === "bind" || m.options.includes("bind") || m.options.includes("rbind");
}

export function isReadOnly(m: OciMount): boolean {
  return m.options.includes("ro") || m.options.includes("rro");
}

/** The mounts that expose the host, in spec order. podUid: the container's own pod (its volumes are kubelet's). */
export function exposingMounts(mounts: readonly OciMount[], host: HostPaths, podUid?: string): ExposingMount[] {
  const places: Place[] = [
    ...PLACES,
    { path: path.posix.dirname(host.kubeletPodsDir), inside: "any" as const, what: "the kubelet's state" },
    ...host.runtimeState.map((dir): Place => ({ path: dir, inside: "any", what: "the runtime's state" })),
  ].flatMap((p): Place[] => {
    const at = canonical(p.path);
    return at ? [{ ...p, path: at }] : [];
  });
  const sockets = [...WELL_KNOWN_SOCKETS, ...host.runtimeSockets].flatMap((s) => canonical(s) ?? []);
  const ownPodDir = podUid ? canonical(path.posix.join(host.kubeletPodsDir, podUid)) : undefined;
  const out: ExposingMount[] = [];
  mounts.forEach((m, index) => {
    const source = canonical(m.source);
    if (!isBindMount(m) || !source || isRuntimeSandboxFile(source)) return;
    if (ownPodDir && within(source, ownPodDir)) return; // the pod's own volumes, hosts file, termination log
    const writable = !isReadOnly(m);
    const at = { index, destination: m.destination, source, writable };
    const place = places.find(
      (p) =>
        within(p.path, source) ||
        (within(source, p.path) && (p.inside === "any" || (p.inside === "writable" && writable))),
    );
    if (place) {
      const what = place.path === source ? place.what : `${place.what} (${place.path})`;
      out.push({ reason: "posture_sensitive_mount", ...at, what });
      return;
    }
    const socket = sockets.find((s) => within(s, source));
    if (socket) out.push({ reason: "posture_runtime_socket", ...at, what: `the container runtime's socket ${socket}` });
  });
  return out;
}
