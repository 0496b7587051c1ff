// A resolved policy as the native decision applies it to one container: volume kinds
// become the globs of that container's mount points; everything else passes as written.
import type { NativePolicy } from "../native/binding";
import type { OciMount } from "../runtime/types";
import type { Resolution } from "./resolve";
import { globsUnder, mountPointsOfKind } from "./volumeKinds";

export function toNativePolicy(
  resolution: Pick<Resolution, "name" | "mode" | "policy">,
  mounts: readonly OciMount[],
  kubeletPodsDir: string,
): NativePolicy {
  const { policy } = resolution;
  if (!policy) return { name: resolution.name, mode: resolution.mode, allowPaths: [], allowDigests: [] };
  const volumeMountPoints = policy.allow.volumes.flatMap((v) =>
    "kind" in v ? mountPointsOfKind(mounts, v.kind, kubeletPodsDir) : [v.path],
  );
  return {
    name: policy.name,
    mode: resolution.mode,
    allowPaths: policy.allow.paths.map((p) => p.path),
    allowDigests: policy.allow.digests.map((d) => d.sha256),
    allowParents: policy.allow.parents.map((p) => p.path),
    allowVolumes: [...new Set(volumeMountPoints)].flatMap(globsUnder),
    denyPaths: policy.deny.map((d) => d.path),
    ...(policy.capture ? { captureMaxBytes: policy.capture.maxBytes } : {}),
  };
}
