// Which filesystem is a container's root: the overlay containerd mounted for it. Read from
// the host's mount table (by the writable layer it names), not from the container's own
// /proc/<pid>/root, which a process of the container that moved into a mount namespace of
// its own (unshare -m; pivot_root) could point at a filesystem it mounted itself.
import * as fs from "node:fs";

import type { ContainerRecord } from "../runtime/types";
import type { HostView } from "./HostView";
import { deviceNumber, readMountinfo } from "./mountinfo";

export interface RootOverlay {
  dev: number;
  /** Where the answer came from: the host's mount table, or (not mounted there) the init process. */
  source: "host-mounts" | "init-process";
}

export function rootOverlayOf(record: ContainerRecord, view: HostView): RootOverlay | undefined {
  const upper = record.rootfs.upperDir;
  if (upper) {
    const option = `upperdir=${upper}`;
    const mount = readMountinfo(view.mountinfoPath).find(
      (m) => m.fsType === "overlay" && m.superOptions.includes(option),
    );
    if (mount) return { dev: deviceNumber(mount.device), source: "host-mounts" };
  }
  try {
    return { dev: fs.statSync(`/proc/${record.pid}/root`).dev, source: "init-process" };
  } catch {
    return undefined;
  }
}
