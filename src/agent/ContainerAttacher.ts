// Attaches containers to the exec guard and detaches them: volumes marked, policy
// resolved, the container put into the native tables at once (image-layer execs are
// decided from the first moment; writable-layer execs wait for the baseline), then the
// image baseline built (or taken from cache) and put in. Images are shared by every
// container whose layers are the same, and dropped when the last one goes.
import { createHash } from "node:crypto";

import type { BaselineBuilder } from "../baseline/BaselineBuilder";
import type { Logger } from "../log/logger";
import type { NativeContainer, NativeExecGuard, NativePolicy, NativeVolume } from "../native/binding";
import type { PolicySource } from "../policy/PolicySource";
import { containerKey } from "../runtime/containerKey";
import type { RuntimeConventions } from "../runtime/ContainerSource";
import type { ContainerRecord } from "../runtime/types";
import { discoverVolumes, type DiscoveredVolumes } from "./containerVolumes";
import type { FilesystemMarks } from "./FilesystemMarks";
import { hostPath, type HostView } from "./HostView";
import { RecentContainers } from "./recentContainers";
import { rootOverlayOf } from "./rootOverlay";
import { logBaselineFailure } from "./baselineFailure";

interface AttachedContainer {
  key: string;
  record: ContainerRecord;
  volumes: DiscoveredVolumes;
  policy: NativePolicy;
  imageKey: string;
  /** st_dev of the container's root overlay; 0 when unknown (no program is an allowed parent then). */
  rootDev: number;
}

interface ImageState {
  users: Set<string>;
  ready: boolean;
  failed: boolean;
  /** Digests of the image's programs by path, once ready. */
  digests?: ReadonlyMap<string, string>;
}

/** Anything else that follows containers (the eBPF sensor). */
export interface ContainerFollower {
  /** A new container, a restarted task or a policy change. */
  attach(key: string, record: ContainerRecord, policy: NativePolicy, volumes: NativeVolume[]): void;
  /** The container's image baseline is ready (its program digests) or failed (undefined). */
  imageSettled?(
    key: string,
    record: ContainerRecord,
    imageDigests: ReadonlyMap<string, string> | undefined,
  ): Promise<void>;
  detach(key: string): void;
}

export interface AttacherDeps {
  guard: Pick<NativeExecGuard, "apply">;
  /** Every fanotify mark goes through here (the eBPF sensor follows them). */
  marks: Pick<FilesystemMarks, "markFilesystem" | "unmarkFilesystem">;
  builder: Pick<BaselineBuilder, "imageTable">;
  policies: PolicySource;
  view: HostView;
  logger: Logger;
  /** Snapshot roots already known to the guard; new ones are added as containers show them. */
  snapshotRoots: Set<string>;
  /** The container runtime's cgroup naming and snapshot layout. */
  runtime: RuntimeConventions;
  followers?: ContainerFollower[];
  /** Finds a container's volumes and marks their filesystems. Default: discoverVolumes on the host view. */
  discoverVolumes?: (record: ContainerRecord) => DiscoveredVolumes;
}

function imageKeyOf(record: ContainerRecord): string {
  return createHash("sha256").update(record.rootfs.layerIdentities.join("\n")).digest("hex").slice(0, 32);
}

export class ContainerAttacher {
  private readonly containers = new Map<string, AttachedContainer>();
  private readonly images = new Map<string, ImageState>();
  /** Detached ones, for findings that arrive after their container went. */
  private readonly gone = new RecentContainers<AttachedContainer>();

  constructor(private readonly deps: AttacherDeps) {}

  /** Images in use whose baseline failed: their writable-layer execs are decided unverified. */
  imagesWithoutBaseline = (): number => [...this.images.values()].filter((i) => i.failed && i.users.size > 0).length;

  get size(): number {
    return this.containers.size;
  }

  /** In the guard's tables: its mounts marked, its cgroup known (the baseline may still be building). */
  has(key: string): boolean {
    return this.containers.has(key);
  }

  /** The container's record, also for a while after it went (its findings may still be on their way). */
  record(key: string): ContainerRecord | undefined {
    return (this.containers.get(key) ?? this.gone.get(key))?.record;
  }

  policy(key: string): NativePolicy | undefined {
    return (this.containers.get(key) ?? this.gone.get(key))?.policy;
  }

  /** Resolves once the container is enforced with its baseline (or known to have none). */
  async attach(record: ContainerRecord): Promise<void> {
    const key = containerKey(record.namespace, record.id);
    const known = this.containers.get(key);
    if (known) {
      // The same task seen again (a re-list) changes nothing; a restarted task has new
      // mounts of its own (/dev, /run), so its volumes are discovered again.
      if (known.record.pid !== record.pid) this.restarted(known, record);
      return;
    }
    this.gone.forget(key);
    const started = performance.now();
    const { guard, logger } = this.deps;
    const volumes = this.volumesOf(record);
    const attached: AttachedContainer = {
      key,
      record,
      volumes,
      policy: this.deps.policies.policyFor(record),
      imageKey: imageKeyOf(record),
      rootDev: rootOverlayOf(record, this.deps.view)?.dev ?? 0,
    };
    this.containers.set(key, attached);
    let image = this.images.get(attached.imageKey);
    const building = !image;
    if (!image) {
      image = { users: new Set(), ready: false, failed: false };
      this.images.set(attached.imageKey, image);
    }
    image.users.add(key);
    // Followers first: the guard releases the container's held execs as soon as it is put
    // in, and the eBPF sensor must judge its execs from that moment on.
    this.followAttach(attached);
    guard.apply({
      snapshotRoots: this.snapshotRootsWith(record),
      putContainers: [this.nativeSpec(attached)],
      ...this.loadedDenyPaths(),
    });
    const log = logger.child({ container: record.id, namespace: record.namespace, k8s: record.k8s });
    for (const problem of volumes.problems) log.warn({ problem }, "volume not covered");
    log.info(
      {
        image: record.image,
        policy: attached.policy.name,
        mode: attached.policy.mode,
        volumes: volumes.volumes.length,
      },
      "container guarded",
    );
    if (building) await this.buildImage(attached.imageKey, record);
    else if (!image.ready && !image.failed) await this.whenImageSettles(attached.imageKey);
    log.debug({ ms: Math.round(performance.now() - started) }, "container enforced with its baseline");
    void this.tellImageSettled(attached); // not awaited: a large writable layer must not delay attach
  }

  private volumesOf(record: ContainerRecord): DiscoveredVolumes {
    const { discoverVolumes: discover, view, marks } = this.deps;
    return discover ? discover(record) : discoverVolumes(record, view, marks);
  }

  private followAttach(attached: AttachedContainer): void {
    for (const follower of this.deps.followers ?? []) {
      follower.attach(attached.key, attached.record, attached.policy, attached.volumes.volumes);
    }
  }

  private async tellImageSettled(attached: AttachedContainer): Promise<void> {
    if (this.containers.get(attached.key) !== attached) return; // detached meanwhile
    const digests = this.images.get(attached.imageKey)?.digests;
    for (const follower of this.deps.followers ?? []) {
      try {
        await follower.imageSettled?.(attached.key, attached.record, digests);
      } catch (error) {
        this.deps.logger.error({ container: attached.record.id, err: error }, "follower failed on the image baseline");
      }
    }
  }

  detach(namespace: string, id: string): void {
    const key = containerKey(namespace, id);
    const attached = this.containers.get(key);
    if (!attached) return;
    this.containers.delete(key);
    this.gone.remember(key, attached);
    const image = this.images.get(attached.imageKey);
    image?.users.delete(key);
    const dropImage = image !== undefined && image.users.size === 0;
    if (dropImage) this.images.delete(attached.imageKey);
    this.deps.guard.apply({ removeContainers: [key], dropImages: dropImage && image.ready ? [attached.imageKey] : [] });
    for (const dev of attached.volumes.privateDevices) this.deps.marks.unmarkFilesystem(dev);
    for (const follower of this.deps.followers ?? []) follower.detach(key); // the runtime source logged the detach
  }

  private restarted(attached: AttachedContainer, record: ContainerRecord): void {
    for (const dev of attached.volumes.privateDevices) this.deps.marks.unmarkFilesystem(dev);
    attached.record = record;
    attached.volumes = this.volumesOf(record);
    attached.rootDev = rootOverlayOf(record, this.deps.view)?.dev ?? 0; // a new task mounts a new overlay
    this.followAttach(attached); // a new task has a new cgroup: the eBPF sensor attributes by it
    this.deps.guard.apply({ putContainers: [this.nativeSpec(attached)] });
    this.deps.logger.info(
      { container: record.id, namespace: record.namespace, pid: record.pid },
      "container restarted",
    );
  }

  /**
   * Re-resolves every container's policy and swaps them all in at once, with every loaded
   * deny rule (exec ignore marks that a new deny could cover go before the swap).
   */
  refreshPolicies(): void {
    const changed: NativeContainer[] = [];
    for (const attached of this.containers.values()) {
      attached.policy = this.deps.policies.policyFor(attached.record);
      changed.push(this.nativeSpec(attached));
      this.followAttach(attached);
    }
    const denies = this.loadedDenyPaths();
    if (changed.length > 0 || denies.loadedDenyPaths) this.deps.guard.apply({ putContainers: changed, ...denies });
  }

  /** Every loaded deny rule, for sources that have them (none: the field stays out of the change). */
  private loadedDenyPaths(): { loadedDenyPaths?: string[] } {
    const denied = this.deps.policies.denyPaths?.();
    return denied ? { loadedDenyPaths: denied } : {};
  }

  private async buildImage(imageKey: string, record: ContainerRecord): Promise<void> {
    const { builder, guard, view, logger } = this.deps;
    // Layers as containerd lists them are top first; the baseline merges lower first.
    const layers = record.rootfs.lowerDirs
      .map((dir, i) => ({ dir: hostPath(view, dir), identity: record.rootfs.layerIdentities[i] }))
      .reverse();
    const image = this.images.get(imageKey);
    try {
      const { table, programDigests, stats } = await builder.imageTable(layers, record.image);
      if (!image || this.images.get(imageKey) !== image) return; // every user left meanwhile
      image.ready = true;
      image.digests = programDigests;
      guard.apply({ putImages: [{ key: imageKey, table }], putContainers: this.usersOf(image) });
      logger.info({ image: record.image, ...stats }, "image baseline ready");
    } catch (error) {
      if (!image || this.images.get(imageKey) !== image) return;
      image.failed = true;
      // Without a baseline nothing on the writable layer can be proven to be the image:
      // decide it all as unverified (baselineFailed) rather than hold execs until the deadline.
      guard.apply({ putContainers: this.usersOf(image) });
      logBaselineFailure(logger, record, error);
    } finally {
      this.settled.get(imageKey)?.forEach((resolve) => resolve());
      this.settled.delete(imageKey);
    }
  }

  private readonly settled = new Map<string, (() => void)[]>();

  private whenImageSettles(imageKey: string): Promise<void> {
    return new Promise((resolve) => {
      const waiting = this.settled.get(imageKey) ?? [];
      waiting.push(resolve);
      this.settled.set(imageKey, waiting);
    });
  }

  private usersOf(image: ImageState): NativeContainer[] {
    return [...image.users].map((key) => this.nativeSpec(this.containers.get(key)!));
  }

  private nativeSpec(attached: AttachedContainer): NativeContainer {
    const image = this.images.get(attached.imageKey);
    const { record } = attached;
    return {
      id: attached.key,
      upperDir: record.rootfs.upperDir,
      lowerDirs: record.rootfs.lowerDirs,
      cgroupLeaf: this.deps.runtime.cgroupLeaf(record),
      imageKey: image?.ready ? attached.imageKey : "",
      baselineFailed: image?.failed ?? false,
      rootDev: attached.rootDev,
      policy: attached.policy,
      volumes: attached.volumes.volumes,
    };
  }

  /** The snapshot roots with this container's added, when it is a new one. */
  private snapshotRootsWith(record: ContainerRecord): string[] | undefined {
    const roots = this.deps.snapshotRoots;
    const root = this.deps.runtime.snapshotRootOf(record);
    if (root === undefined || roots.has(root)) return undefined;
    roots.add(root);
    return [...roots];
  }
}
