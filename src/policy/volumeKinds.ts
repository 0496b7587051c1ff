// Which kind of volume a container mount is, told from its OCI mount: kubelet binds a
// pod volume from <pods dir>/<pod uid>/volumes/<plugin dir>/<name>, e.g.
// kubernetes.io~configmap; any other bind is a hostPath; a tmpfs mount that is not a bind
// is the runtime's own (/dev, /dev/shm, /run) or a tmpfs volume.
import * as path from "node:path";

import { isRuntimeSandboxFile } from "../runtime/podRole";
import type { OciMount } from "../runtime/types";
import { escapeFnmatch } from "./glob";
import type { VolumeKind } from "./types";

const PLUGIN_KINDS: Record<string, VolumeKind> = {
  "kubernetes.io~configmap": "configMap",
  "kubernetes.io~secret": "secret",
  "kubernetes.io~empty-dir": "emptyDir",
  "kubernetes.io~projected": "projected",
  "kubernetes.io~downward-api": "downwardAPI",
};

/** How deep allowVolumes reach below a mount point: fnmatch has no `**`. */
export const VOLUME_GLOB_DEPTH = 8;

function isBind(mount: OciMount): boolean {
  return mount.type === "bind" || mount.options.includes("bind") || mount.options.includes("rbind");
}

/** The volume kind of a mount, undefined when it is none a policy can name. */
export function volumeKindOf(mount: OciMount, kubeletPodsDir: string): VolumeKind | undefined {
  if (!isBind(mount)) return mount.type === "tmpfs" ? "tmpfs" : undefined;
  const source = path.resolve("/", mount.source);
  const relative = path.relative(path.resolve("/", kubeletPodsDir), source);
  if (!relative.startsWith("..") && !path.isAbsolute(relative)) {
    // <uid>/volumes/<plugin>/<name>; subPath binds (<uid>/volume-subpaths/...) do not tell
    // their plugin, and the rest (etc-hosts, termination logs) is kubelet's own.
    const [, dir, plugin, name] = relative.split(path.sep);
    if (dir !== "volumes" || !plugin || !name) return undefined;
    // Every other plugin (csi, nfs, aws-ebs, local-volume, …) is storage a claim or an
    // inline volume brings: persistentVolumeClaim.
    return PLUGIN_KINDS[plugin] ?? "persistentVolumeClaim";
  }
  if (isRuntimeSandboxFile(source)) return undefined;
  return "hostPath";
}

/** fnmatch globs matching a mount point and everything below it (to VOLUME_GLOB_DEPTH). */
export function globsUnder(mountPoint: string): string[] {
  const base = escapeFnmatch(path.posix.resolve("/", mountPoint).replace(/\/$/, ""));
  const globs = base === "" ? [] : [base];
  let glob = base;
  for (let depth = 0; depth < VOLUME_GLOB_DEPTH; depth++) globs.push((glob += "/*"));
  return globs;
}

/** Mount points of the container's volumes of the given kind. */
export function mountPointsOfKind(mounts: readonly OciMount[], kind: VolumeKind, kubeletPodsDir: string): string[] {
  return mounts.filter((m) => volumeKindOf(m, kubeletPodsDir) === kind).map((m) => m.destination);
}
