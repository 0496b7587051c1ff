// Assembles a ContainerRecord from containerd: container metadata, OCI spec, snapshot
// mounts and chain, image digest.
import type { ContainerdClient, ContainerdContainer } from "./ContainerdClient";
import { readContainerRootfs } from "./rootfs";
import { kubernetesIdentity, parseOciSpec } from "./spec";
import type { ContainerRecord } from "./types";
import { errorMessage } from "../util/errorMessage";

export interface ContainerRecordResult {
  record: ContainerRecord;
  /** Things that were degraded but did not prevent the record (logged by the caller). */
  warnings: string[];
}

/**
 * Reads everything about container `container` (metadata already fetched, or its id) with
 * task pid `pid`. Throws ContainerdError, SpecError or RootfsError when the container
 * cannot be guarded; a missing image only leaves imageDigest unset.
 */
export async function readContainerRecord(
  client: ContainerdClient,
  namespace: string,
  container: ContainerdContainer | string,
  pid: number,
  chainCache?: Map<string, string[]>,
): Promise<ContainerRecordResult> {
  const meta = typeof container === "string" ? await client.getContainer(namespace, container) : container;
  const warnings: string[] = [];
  const spec = parseOciSpec(meta.id, meta.spec);
  if (meta.snapshotKey === "") {
    throw new Error(`container ${meta.id} has no snapshot: its rootfs is not managed by containerd`);
  }
  const { rootfs, identityFallback } = await readContainerRootfs(
    client,
    namespace,
    meta.snapshotter,
    meta.snapshotKey,
    chainCache,
  );
  if (identityFallback) warnings.push(`layer identities derived from directories: ${identityFallback}`);
  let imageDigest: string | undefined;
  if (meta.image !== "") {
    try {
      imageDigest = (await client.getImage(namespace, meta.image)).digest || undefined;
    } catch (err) {
      // The image may have been deleted after the container was created. (If it was re-tagged,
      // the digest is the name's current one: layerIdentities, not this, identify the layers.)
      warnings.push(`image ${meta.image} not readable: ${errorMessage(err)}`);
    }
  }
  return {
    record: {
      id: meta.id,
      namespace,
      image: meta.image,
      imageDigest,
      labels: meta.labels,
      k8s: kubernetesIdentity(meta.labels),
      snapshotter: meta.snapshotter,
      snapshotKey: meta.snapshotKey,
      rootfs,
      mounts: spec.mounts,
      cgroupsPath: spec.cgroupsPath,
      pid,
      security: spec.security,
    },
    warnings,
  };
}
