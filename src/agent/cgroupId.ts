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
import * as fs from "node:fs";
import * as path from "node:path";

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
  ofProcess(pid: number): number | undefined {
    const mountDir = this.hostMountDir();
    const root = mountDir && this.hostNamespaceRoot(mountDir);
    if (!mountDir || !root) return undefined;
    const relative = this.cgroupOf(pid);
    const onHost = relative === undefined ? undefined : hostCgroupPath(root, relative);
    if (onHost === undefined) return undefined;
    try {
      return fs.statSync(path.join(mountDir, onHost)).ino;
    } catch {
      return undefined; // exited meanwhile
    }
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
