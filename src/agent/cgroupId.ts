// A container's cgroup v2 id (what the eBPF sensor sees as bpf_get_current_cgroup_id):
// the inode number of its cgroup directory, found from its init process.
import * as fs from "node:fs";
import * as path from "node:path";

import { readMountinfo } from "./mountinfo";

let cgroup2Mount: string | undefined | null;

function cgroup2MountPoint(): string | undefined {
  if (cgroup2Mount === undefined) {
    cgroup2Mount = readMountinfo("/proc/self/mountinfo").find((m) => m.fsType === "cgroup2")?.mountPoint ?? null;
  }
  return cgroup2Mount ?? undefined;
}

/** The cgroup id of pid's cgroup, or undefined when there is no usable cgroup v2 view. */
export function cgroupIdOfProcess(pid: number): number | undefined {
  const mount = cgroup2MountPoint();
  if (!mount) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8");
  } catch {
    return undefined; // gone
  }
  const unified = text.split("\n").find((line) => line.startsWith("0::"));
  const cgroupPath = unified?.slice(3);
  // "/.." means outside our cgroup namespace: not reachable through our mount.
  if (!cgroupPath || cgroupPath.startsWith("/..")) return undefined;
  try {
    return fs.statSync(path.join(mount, cgroupPath)).ino;
  } catch {
    return undefined;
  }
}
