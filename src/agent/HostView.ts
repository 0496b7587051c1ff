// How the agent sees the node. Run as a DaemonSet with hostPID, the host is /proc/1: its
// mount namespace, its mount table, its root (paths from containerd are host paths). Run
// directly on the node, or where there is no /proc/1, the agent's own view is the host; a
// /proc/1 it may not read (no CAP_SYS_PTRACE) is an error that names the capability.
import * as fs from "node:fs";
import * as path from "node:path";

import { hasEffectiveCapability, missingCapability } from "./capabilities";

export interface HostView {
  /** Prefix that turns a host path into a path the agent can open ("" or "/proc/1/root"). */
  rootPrefix: string;
  /** The host's mount table. */
  mountinfoPath: string;
  /** Inode of the host's mount namespace: processes in it are host processes. */
  mountNamespace: number;
  /** Where the view came from, for the start-up log. */
  source: "pid1" | "self";
}

/**
 * hostPid: a process in the host's mount namespace, 1 on a node (DRIFTGUARD_HOST_PID lets
 * tests run the agent in a namespace of its own, as in a pod, against their own host).
 */
export function detectHostView(procDir = "/proc", hostPid = process.env.DRIFTGUARD_HOST_PID ?? "1"): HostView {
  const ownNamespace = fs.statSync(path.join(procDir, "self/ns/mnt")).ino;
  try {
    const hostNamespace = fs.statSync(path.join(procDir, hostPid, "ns/mnt")).ino;
    fs.accessSync(path.join(procDir, hostPid, "root/"), fs.constants.R_OK);
    const sameNamespace = hostNamespace === ownNamespace;
    return {
      rootPrefix: sameNamespace ? "" : path.join(procDir, hostPid, "root"),
      mountinfoPath: path.join(procDir, hostPid, "mountinfo"),
      mountNamespace: hostNamespace,
      source: "pid1",
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Without CAP_SYS_PTRACE, the node's init (hostPID) is a more privileged process we may
    // not inspect: our own files are then not the node's, and every host path would miss.
    // (With it, a pid 1 that still refuses is a sandbox's init: our view is the host's.)
    if ((code === "EACCES" || code === "EPERM") && !hasEffectiveCapability("SYS_PTRACE", procDir)) {
      throw new Error(
        missingCapability(
          `cannot read ${path.join(procDir, hostPid, "root")} (${code})`,
          `opens the node's files through the root of pid ${hostPid} (hostPID)`,
          "SYS_PTRACE",
        ),
      );
    }
    // No pid 1 to look at, or one even CAP_SYS_PTRACE may not inspect: our view is the host's.
    return {
      rootPrefix: "",
      mountinfoPath: path.join(procDir, "self/mountinfo"),
      mountNamespace: ownNamespace,
      source: "self",
    };
  }
}

/** A host path as the agent can open it. */
export function hostPath(view: HostView, p: string): string {
  return view.rootPrefix === "" ? p : path.join(view.rootPrefix, p);
}
