// A container's cgroup v2 id (what the eBPF sensor sees as bpf_get_current_cgroup_id):
// the inode number of its cgroup directory, found from its init process.
//
// In a pod on a cgroup v2 node the agent has a cgroup namespace of its own (containerd's
// CRI plugin gives one to every non-privileged container): /proc/<pid>/cgroup of another
// container then reads "0::/../../<qos>/<pod>/<container>", relative to the agent's
// namespace root, and the agent's own /sys/fs/cgroup (rooted at that namespace root)
// cannot reach it. So paths are resolved on the host's cgroup2 mount, seen through
// /proc/<host pid>/root, from where the agent's namespace root lies on the host: the
// host directory whose cgroup.procs lists the agent itself, found once.
//
// A container whose id resolves to the agent's own cgroup or to one above it (the cgroup2
// root is above all) is never to be registered with the sensor: its verdicts there would
// fall on the agent or on host processes (in enforce, kill them). ofContainer says so.
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../log/logger";
import type { ContainerRecord } from "../runtime/types";
import { hostPath, type HostView } from "./HostView";
import { readMountinfo } from "./mountinfo";

/** Directories visited at most while looking for the agent's own cgroup on the host. */
const MAX_SEARCHED_CGROUPS = 100_000;

/**
 * The host path of `relative` (a /proc/<pid>/cgroup path, which may climb above the
 * reader's namespace root with "..") for a namespace rooted at host path `namespaceRoot`.
 * Undefined when it climbs above the host's root or is not absolute.
 */
export function hostCgroupPath(namespaceRoot: string, relative: string): string | undefined {
  if (!namespaceRoot.startsWith("/") || !relative.startsWith("/")) return undefined;
  const parts = namespaceRoot.split("/").filter(Boolean);
  for (const part of relative.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return `/${parts.join("/")}`;
}

/** The unified ("0::") line's path of a /proc/<pid>/cgroup text. */
export function unifiedCgroupPath(text: string): string | undefined {
  return text
    .split("\n")
    .find((line) => line.startsWith("0::"))
    ?.slice(3);
}

export interface ContainerCgroup {
  /** The cgroup v2 id (bpf_get_current_cgroup_id in the container's processes). */
  id: number;
  /** Set when it is the agent's own cgroup ("own") or one above it ("ancestor", the root too). */
  agentLineage?: "own" | "ancestor";
}

export class CgroupIds {
  /** Where the agent opens the host's cgroup2 filesystem; null: there is none. */
  private mountDir?: string | null;
  /** The agent's cgroup namespace root as a host cgroup path; null: not found. */
  private namespaceRoot?: string | null;

  constructor(
    private readonly view: HostView,
    private readonly procDir = "/proc",
    private readonly selfPid = process.pid,
  ) {}

  /** The cgroup id of pid's cgroup, or undefined when it cannot be told (gone, no cgroup v2). */
  ofProcess(pid: number | "self"): number | undefined {
    const onHost = this.hostCgroupOf(pid);
    return onHost && idOf(path.join(onHost.mountDir, onHost.path));
  }

  /**
   * A container's cgroup (from its init process, pid) and where it stands to the agent's:
   * agentLineage is set when it is the agent's own cgroup or one above it. Undefined when
   * either cannot be told.
   */
  ofContainer(pid: number): ContainerCgroup | undefined {
    const id = this.ofProcess(pid);
    const own = this.hostCgroupOf("self");
    if (id === undefined || own === undefined) return undefined;
    // The agent's cgroup and each one above it, up to the root: few, and read each time
    // (the agent may be moved; a container is attached rarely).
    const lineage: (number | undefined)[] = [];
    for (let dir = own.path; ; dir = path.posix.dirname(dir)) {
      lineage.push(idOf(path.join(own.mountDir, dir)));
      if (dir === "/") break;
    }
    if (lineage[0] === id) return { id, agentLineage: "own" };
    if (lineage.includes(id)) return { id, agentLineage: "ancestor" };
    // A cgroup of the lineage that could not be read is an ancestor we cannot rule out.
    return lineage.includes(undefined) ? undefined : { id };
  }

  /** pid's cgroup as a path on the host's cgroup2 mount, and where the agent opens that mount. */
  private hostCgroupOf(pid: number | "self"): { mountDir: string; path: string } | undefined {
    const mountDir = this.hostMountDir();
    const root = mountDir && this.hostNamespaceRoot(mountDir);
    if (!mountDir || !root) return undefined;
    const relative = this.cgroupOf(pid);
    const onHost = relative === undefined ? undefined : hostCgroupPath(root, relative);
    return onHost === undefined ? undefined : { mountDir, path: onHost };
  }

  private cgroupOf(pid: number | "self"): string | undefined {
    try {
      return unifiedCgroupPath(fs.readFileSync(path.join(this.procDir, String(pid), "cgroup"), "utf8"));
    } catch {
      return undefined; // gone
    }
  }

  private hostMountDir(): string | null {
    if (this.mountDir === undefined) {
      const mount = readMountinfo(this.view.mountinfoPath).find((m) => m.fsType === "cgroup2");
      this.mountDir = mount ? hostPath(this.view, mount.mountPoint) : null;
    }
    return this.mountDir;
  }

  private hostNamespaceRoot(mountDir: string): string | null {
    if (this.namespaceRoot === undefined) this.namespaceRoot = this.findNamespaceRoot(mountDir);
    return this.namespaceRoot;
  }

  private findNamespaceRoot(mountDir: string): string | null {
    const hostProc = path.dirname(this.view.mountinfoPath);
    const namespaceOf = (proc: string): number | undefined => {
      try {
        return fs.statSync(path.join(proc, "ns/cgroup")).ino;
      } catch {
        return undefined;
      }
    };
    const own = namespaceOf(path.join(this.procDir, "self"));
    if (own !== undefined && own === namespaceOf(hostProc)) return "/";
    // Our own cgroup, relative to our namespace root ("/" unless we moved since).
    const ownRelative = this.cgroupOf("self");
    const found = ownRelative === undefined ? undefined : this.searchOwnCgroup(mountDir);
    if (found === undefined || ownRelative === undefined) return null;
    // found = root + ownRelative: strip ownRelative's components from its end.
    const depth = ownRelative.split("/").filter(Boolean).length;
    const parts = found.split("/").filter(Boolean);
    return `/${parts.slice(0, parts.length - depth).join("/")}`;
  }

  /** The host cgroup path whose cgroup.procs lists the agent (breadth first, bounded). */
  private searchOwnCgroup(mountDir: string): string | undefined {
    const self = String(this.selfPid);
    const queue = ["/"];
    for (let next = 0; next < queue.length && next < MAX_SEARCHED_CGROUPS; next++) {
      const dir = queue[next];
      if (
        readOrEmpty(path.join(mountDir, dir, "cgroup.procs"))
          .split("\n")
          .includes(self)
      )
        return dir;
      for (const entry of readdirOrEmpty(path.join(mountDir, dir))) {
        if (entry.isDirectory()) queue.push(path.posix.join(dir, entry.name));
      }
    }
    return undefined;
  }
}

/**
 * The cgroup id under which the eBPF sensor may register the container, or undefined
 * (logged: why not). Never the agent's own cgroup nor one above it.
 */
export function registrableCgroupId(cgroups: CgroupIds, record: ContainerRecord, logger: Logger): number | undefined {
  const cgroup = cgroups.ofContainer(record.pid);
  const facts = { container: record.id, namespace: record.namespace, pid: record.pid, cgroupId: cgroup?.id };
  if (cgroup === undefined) {
    logger.warn(facts, "no cgroup v2 id for the container: the eBPF sensor cannot attribute it");
  } else if (cgroup.agentLineage === "own") {
    // The agent's own container (in a pod), or a wrong attribution: either way not judged.
    logger.warn(
      facts,
      "container in the agent's own cgroup (the agent's own container?): not registered with the eBPF sensor, whose verdicts there would fall on the agent",
    );
  } else if (cgroup.agentLineage === "ancestor") {
    logger.error(
      facts,
      "container resolved to the cgroup2 root or a cgroup above the agent's (a wrong attribution): not registered with the eBPF sensor, whose verdicts there would fall on host processes",
    );
  } else {
    return cgroup.id;
  }
  return undefined;
}

/** The id (inode number) of a cgroup directory; undefined when it is gone. */
function idOf(dir: string): number | undefined {
  try {
    return fs.statSync(dir).ino;
  } catch {
    return undefined;
  }
}

// A cgroup removed while we look is simply not there.
function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function readdirOrEmpty(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
