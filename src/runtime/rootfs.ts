// A container's rootfs from its snapshot: which directories are the image layers (overlay
// lowerdirs, top first) and which is the writable layer (upperdir), plus a stable identity
// per layer so that baselines are shared by every container using the same layer.
import * as fs from "node:fs";

import type { ContainerdClient, SnapshotMount } from "./ContainerdClient";
import type { ContainerRootfs } from "./types";
import { errorMessage } from "../util/errorMessage";

export class RootfsError extends Error {
  override readonly name = "RootfsError";
  readonly code = "rootfs_unsupported";
}

/** Layer dirs from the snapshot mounts. Throws RootfsError for shapes it cannot map. */
export function layersFromMounts(mounts: SnapshotMount[]): { upperDir: string; lowerDirs: string[] } {
  if (mounts.length !== 1) {
    throw new RootfsError(`expected one snapshot mount, got ${mounts.length}: ${describe(mounts)}`);
  }
  const [mount] = mounts;
  if (mount.type === "overlay") {
    const lowerdir = optionValue(mount.options, "lowerdir");
    if (lowerdir === undefined || lowerdir === "")
      throw new RootfsError(`overlay mount without lowerdir: ${describe(mounts)}`);
    // containerd's overlayfs snapshotter lists parents top first, as overlay(5) wants them.
    return { upperDir: optionValue(mount.options, "upperdir") ?? "", lowerDirs: lowerdir.split(":") };
  }
  if (mount.type === "bind" || mount.type === "rbind") {
    if (mount.source === "") throw new RootfsError(`bind mount without source: ${describe(mounts)}`);
    // overlayfs snapshotter: a read-only bind is a view of a single layer; a read-write
    // bind is an active snapshot without parents (image with no layers), all writable.
    return mount.options.includes("ro")
      ? { upperDir: "", lowerDirs: [mount.source] }
      : { upperDir: mount.source, lowerDirs: [] };
  }
  throw new RootfsError(`unsupported snapshot mount type "${mount.type}" (driftguard needs the overlayfs snapshotter)`);
}

function optionValue(options: string[], key: string): string | undefined {
  const prefix = `${key}=`;
  const option = options.find((o) => o.startsWith(prefix));
  return option?.slice(prefix.length);
}

function describe(mounts: SnapshotMount[]): string {
  return JSON.stringify(mounts.map((m) => ({ type: m.type, source: m.source, options: m.options })));
}

/** An identity derived from the directory itself, for layers whose snapshot name is unknown. */
export function directoryIdentity(dir: string): string {
  try {
    const st = fs.statSync(dir, { bigint: true });
    return `dir:${st.dev}:${st.ino}:${st.ctimeNs}:${dir}`;
  } catch {
    // Not visible from here (another mount namespace?): the path alone is still stable
    // for the life of the snapshot, which is all a cache key needs.
    return `dir:${dir}`;
  }
}

const MAX_CHAIN = 512; // containerd refuses images deeper than 128 layers; this only stops loops

/**
 * Names of the committed snapshots below `key`, top first. For layers unpacked from an
 * image these are chain IDs (content addressed), the same for every image sharing them.
 */
export async function snapshotChain(
  client: ContainerdClient,
  namespace: string,
  snapshotter: string,
  key: string,
  cache?: Map<string, string[]>,
): Promise<string[]> {
  const chain: string[] = [];
  let parent = (await client.statSnapshot(namespace, snapshotter, key)).parent;
  while (parent !== "") {
    // Committed snapshots are immutable, so a parent's chain can be cached by its name.
    const known = cache?.get(`${namespace}/${snapshotter}/${parent}`);
    if (known) return chain.concat(known);
    chain.push(parent);
    if (chain.length > MAX_CHAIN) throw new RootfsError(`snapshot chain of ${key} is longer than ${MAX_CHAIN}`);
    parent = (await client.statSnapshot(namespace, snapshotter, parent)).parent;
  }
  if (cache && chain.length > 0) cacheChains(cache, `${namespace}/${snapshotter}/`, chain);
  return chain;
}

const MAX_CACHED_CHAINS = 4096;

function cacheChains(cache: Map<string, string[]>, prefix: string, chain: string[]): void {
  if (cache.size > MAX_CACHED_CHAINS) cache.clear();
  chain.forEach((name, i) => cache.set(prefix + name, chain.slice(i)));
}

export interface RootfsResult {
  rootfs: ContainerRootfs;
  /** Why layerIdentities were derived from directories instead of snapshot names, if they were. */
  identityFallback?: string;
}

/** Reads the rootfs of snapshot `key`. Throws (ContainerdError, RootfsError) if the mounts cannot be read. */
export async function readContainerRootfs(
  client: ContainerdClient,
  namespace: string,
  snapshotter: string,
  key: string,
  cache?: Map<string, string[]>,
): Promise<RootfsResult> {
  const { upperDir, lowerDirs } = layersFromMounts(await client.snapshotMounts(namespace, snapshotter, key));
  let identityFallback: string | undefined;
  try {
    const chain = await snapshotChain(client, namespace, snapshotter, key, cache);
    if (chain.length === lowerDirs.length) return { rootfs: { upperDir, lowerDirs, layerIdentities: chain } };
    identityFallback = `snapshot chain has ${chain.length} layers but the mount has ${lowerDirs.length} lower dirs`;
  } catch (err) {
    identityFallback = `snapshot chain unreadable: ${errorMessage(err)}`;
  }
  return { rootfs: { upperDir, lowerDirs, layerIdentities: lowerDirs.map(directoryIdentity) }, identityFallback };
}
