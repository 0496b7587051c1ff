// Which filesystems a container can execute from besides its image: bind volumes from
// the host (hostPath, emptyDir on disk, configMap/secret tmpfs, subPath) and filesystems
// that exist only inside the container (its /dev and /run tmpfs, a tmpfs volume). Each
// must be marked for fanotify and described to the native tables.
import * as path from "node:path";

import type { NativeVolume } from "../native/binding";
import type { ContainerRecord, OciMount } from "../runtime/types";
import { hostPath, type HostView } from "./HostView";
import { deviceNumber, mountContaining, readMountinfo, type MountEntry } from "./mountinfo";
import { errorMessage } from "../util/errorMessage";

/** Filesystems nobody executes from (and that fanotify need not watch). */
const PSEUDO_FILESYSTEMS = new Set([
  "proc",
  "sysfs",
  "cgroup",
  "cgroup2",
  "devpts",
  "mqueue",
  "securityfs",
  "debugfs",
  "tracefs",
  "bpf",
  "pstore",
  "configfs",
  "fusectl",
  "binfmt_misc",
  "nsfs",
  "autofs",
  "overlay",
]);
const WHOLE_FILESYSTEM_TYPES = new Set(["tmpfs", "ramfs"]);

export interface Marker {
  markFilesystem(path: string, keepDirFd?: boolean, expectDev?: number): { dev: number; added: boolean };
}

export interface DiscoveredVolumes {
  volumes: NativeVolume[];
  /** Filesystems marked only for this container: forget them when it goes. */
  privateDevices: number[];
  /** Volumes that could not be set up, with why (logged by the caller; never fatal). */
  problems: string[];
}

function isBind(mount: OciMount): boolean {
  return mount.type === "bind" || mount.options.includes("bind") || mount.options.includes("rbind");
}

/** Host bind sources: described by path, or whole tmpfs volumes described by device. */
function bindVolumes(
  container: ContainerRecord,
  view: HostView,
  hostMounts: MountEntry[],
  marker: Marker,
  out: DiscoveredVolumes,
): Set<string> {
  const destinations = new Set<string>();
  for (const mount of container.mounts.filter(isBind)) {
    if (mount.options.includes("noexec")) continue;
    const source = path.resolve("/", mount.source);
    const entry = mountContaining(hostMounts, source);
    if (!entry) {
      out.problems.push(`volume ${mount.destination}: source ${source} is on no host mount`);
      continue;
    }
    try {
      if (WHOLE_FILESYSTEM_TYPES.has(entry.fsType)) {
        // A pod's tmpfs (secret, configMap, memory emptyDir) belongs to the pod whole:
        // describe it by device, and keep no fd on it, or kubelet could not unmount it.
        const dev = deviceNumber(entry.device);
        marker.markFilesystem(hostPath(view, entry.mountPoint), false, dev);
        out.volumes.push({ source: "", dev, destination: mount.destination });
        out.privateDevices.push(dev);
      } else {
        // Real paths come back through the filesystem's own root mount, so describe the
        // source the same way: a subPath bind of /a/b/c mounted elsewhere is still /a/b/c.
        const canonical = hostMounts.find((m) => m.device === entry.device && m.root === "/") ?? entry;
        const inFilesystem = path.join(entry.root, path.relative(entry.mountPoint, source));
        const canonicalSource = path.join(canonical.mountPoint, path.relative(canonical.root, inFilesystem));
        marker.markFilesystem(hostPath(view, canonical.mountPoint), true);
        out.volumes.push({ source: canonicalSource, dev: 0, destination: mount.destination });
      }
      destinations.add(mount.destination);
    } catch (error) {
      out.problems.push(`volume ${mount.destination}: ${errorMessage(error)}`);
    }
  }
  return destinations;
}

export function discoverVolumes(
  container: ContainerRecord,
  view: HostView,
  marker: Marker,
  procDir = "/proc",
): DiscoveredVolumes {
  const out: DiscoveredVolumes = { volumes: [], privateDevices: [], problems: [] };
  const hostMounts = readMountinfo(view.mountinfoPath);
  const bindDestinations = bindVolumes(container, view, hostMounts, marker, out);
  const hostDevices = new Set(hostMounts.map((m) => m.device));
  let containerMounts: MountEntry[];
  try {
    containerMounts = readMountinfo(path.join(procDir, String(container.pid), "mountinfo"));
  } catch (error) {
    out.problems.push(`mount table of pid ${container.pid}: ${errorMessage(error)}`);
    return out;
  }
  const described = new Set<string>();
  // A filesystem's whole mounts first: they are directories a mark can be put on.
  const wholeFirst = [...containerMounts].sort((a, b) => Number(a.root !== "/") - Number(b.root !== "/"));
  for (const entry of wholeFirst) {
    if (entry.mountPoint === "/" || bindDestinations.has(entry.mountPoint)) continue;
    if (PSEUDO_FILESYSTEMS.has(entry.fsType) || entry.options.includes("noexec")) continue;
    if (hostDevices.has(entry.device)) continue; // a host filesystem: covered by its own mark
    // One mark and one description per filesystem. runc masks /proc/keys, /proc/timer_list
    // and others by binding the container's /dev/null over them: more mounts of the /dev
    // tmpfs, whose mount points are device nodes that cannot be marked.
    if (described.has(entry.device)) continue;
    described.add(entry.device);
    const dev = deviceNumber(entry.device);
    try {
      marker.markFilesystem(path.join(procDir, String(container.pid), "root", entry.mountPoint), false, dev);
      out.volumes.push({ source: "", dev, destination: entry.mountPoint });
      out.privateDevices.push(dev);
    } catch (error) {
      out.problems.push(`filesystem at ${entry.mountPoint}: ${errorMessage(error)}`);
    }
  }
  return out;
}
