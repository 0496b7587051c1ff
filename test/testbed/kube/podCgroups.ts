// The cgroups a pod leaves when something failed half-way: /kubepods/<qos>/pod<uid> (the
// cgroupfs driver's names) in every hierarchy, removed deepest first; and the /kubepods
// parents runc made, once empty. Busy ones stay.
import * as fs from "node:fs";
import * as path from "node:path";

const CGROUP_FS = "/sys/fs/cgroup";

/** The pod's cgroup parent as the kubelet names it (cgroupfs driver). */
export function podCgroupParent(qos: "besteffort" | "burstable" | "guaranteed", uid: string): string {
  return qos === "guaranteed" ? `/kubepods/pod${uid}` : `/kubepods/${qos}/pod${uid}`;
}

export function removePodCgroups(uid: string): void {
  const hierarchies = fs
    .readdirSync(CGROUP_FS)
    .map((h) => path.join(CGROUP_FS, h))
    .filter((h) => fs.existsSync(path.join(h, "kubepods")));
  for (const hierarchy of hierarchies) {
    for (const qos of ["besteffort", "burstable", "guaranteed"] as const) {
      const pod = path.join(hierarchy, podCgroupParent(qos, uid));
      if (!fs.existsSync(pod)) continue;
      for (const child of fs.readdirSync(pod, { withFileTypes: true })) {
        if (child.isDirectory()) tryRmdir(path.join(pod, child.name));
      }
      tryRmdir(pod);
    }
  }
}

function tryRmdir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // still has processes, or removed meanwhile
  }
}

/** The QoS parents and /kubepods itself, where no pod is left in them. */
export function removeEmptyKubepods(): void {
  for (const hierarchy of fs.readdirSync(CGROUP_FS).map((h) => path.join(CGROUP_FS, h))) {
    const kubepods = path.join(hierarchy, "kubepods");
    if (!fs.existsSync(kubepods)) continue;
    for (const qos of ["besteffort", "burstable"]) tryRmdir(path.join(kubepods, qos));
    tryRmdir(kubepods);
  }
}
