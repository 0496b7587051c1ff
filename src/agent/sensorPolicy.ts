// How a container's policy reaches the eBPF sensor's library judgement: the mode the
// kernel applies and which of the container's own filesystems it judges. Pure.
import * as path from "node:path";

import type { PolicyMode } from "../domain/verdict";
import type { NativePolicy, NativeVolume } from "../native/binding";
import { globMatches } from "../policy/glob";

/**
 * The kernel cannot apply path, digest or parent exceptions to a library mapping: a
 * container whose policy has any has its libraries reported, not blocked.
 */
export function libraryModeFor(policy: NativePolicy): PolicyMode {
  if (policy.mode !== "enforce") return policy.mode;
  const exceptions = policy.allowPaths.length + policy.allowDigests.length + (policy.allowParents?.length ?? 0);
  return exceptions > 0 ? "audit" : "enforce";
}

/**
 * The container's own filesystems whose files it may not map executable: whole tmpfs
 * volumes (runc's /dev, memory emptyDirs) the exec guard marked for it, unless its policy
 * allows the volume. Bind-mounted host directories share the host's filesystem and are
 * not told apart in the kernel: not judged.
 */
export function judgedVolumesOf(volumes: NativeVolume[], policy: NativePolicy): Map<number, string> {
  const judged = new Map<number, string>();
  for (const volume of volumes) {
    if (volume.source !== "" || volume.dev === 0) continue;
    const probe = path.posix.join(volume.destination, "library.so");
    if ((policy.allowVolumes ?? []).some((glob) => globMatches(glob, probe))) continue;
    judged.set(volume.dev, volume.destination);
  }
  return judged;
}
