// What the running init process of a container tells where its spec cannot: the bounding
// set when the spec sets no capabilities, and whether a namespace the spec joins by path is
// the host's. Read once at attach; every read may fail (the task exited), which leaves the
// fact unknown. /proc/<pid>/status is the kernel's; nothing here is read from the container.
import * as fs from "node:fs";
import * as path from "node:path";

import type { HostView } from "../agent/HostView";
import { capabilitiesOfMask } from "./capabilities";
import { HOST_NAMESPACES, type HostNamespace, type ProcessFacts } from "./judgePosture";

/** /proc/<pid>/ns/<name> of each namespace type the spec calls by its OCI name. */
const NS_FILE: Record<HostNamespace, string> = { pid: "pid", ipc: "ipc", network: "net" };

/** The host's own /proc dir as the view sees it: /proc/1 in a hostPID pod, else /proc/self. */
export function hostProcDir(view: HostView): string {
  return path.dirname(view.mountinfoPath);
}

export function readProcessFacts(pid: number, hostProc: string, procDir = "/proc"): ProcessFacts | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const dir = path.join(procDir, String(pid));
  let status: string;
  try {
    status = fs.readFileSync(path.join(dir, "status"), "utf8");
  } catch {
    return undefined; // gone already
  }
  const bnd = /^CapBnd:\s*([0-9a-fA-F]+)$/m.exec(status)?.[1];
  const hostNamespaces: ProcessFacts["hostNamespaces"] = {};
  for (const type of HOST_NAMESPACES) {
    const inode = (p: string) => {
      try {
        return fs.statSync(path.join(p, "ns", NS_FILE[type])).ino;
      } catch {
        return undefined;
      }
    };
    const own = inode(dir);
    const host = inode(hostProc);
    if (own !== undefined && host !== undefined) hostNamespaces[type] = own === host;
  }
  return { bounding: bnd ? capabilitiesOfMask(bnd) : undefined, hostNamespaces };
}

/** AppArmor is enabled in this kernel (a container without a profile is then unconfined). */
export function apparmorEnabled(file = "/sys/module/apparmor/parameters/enabled"): boolean {
  try {
    return fs.readFileSync(file, "utf8").trim() === "Y";
  } catch {
    return false;
  }
}
