// The eBPF sensor as the agent uses it: what fanotify cannot see (fileless execs; where
// the kernel runs BPF LSM programs also the loader trick and dropped libraries). Started
// once; containers are registered by cgroup id as they attach, with the modes of their
// policy. Its findings go through the same pipeline as the exec guard's verdicts.
//
// Libraries follow the policy's mode once the container's writable layer has been
// checked (writableLayerCopies.ts): until then, and where the check finds a copied-up
// program that is not the image's, only copies the agent hashed may be mapped.
import * as path from "node:path";

import type { Logger } from "../log/logger";
import { nativeBinding, type NativePolicy, type NativeVolume, type VerdictRecord } from "../native/binding";
import type { BpfCoverage, BpfSensorOptions, NativeBpfSensor, SensorFinding, TrustedFile } from "../native/bpfBinding";
import type { ContainerRecord } from "../runtime/types";
import { CgroupIds, registrableCgroupId } from "./cgroupId";
import type { MarkFollower } from "./FilesystemMarks";
import { hostPath, type HostView } from "./HostView";
import { rootOverlayOf } from "./rootOverlay";
import { verdictRecordOf } from "./sensorFinding";
import { judgedVolumesOf, libraryModeFor } from "./sensorPolicy";
import { checkWritableLayerCopies, DEFAULT_COPY_CHECK_LIMITS, type CopyCheck } from "./writableLayerCopies";

export type SensorFactory = (
  options: BpfSensorOptions,
  onFindings: (batch: SensorFinding[]) => void,
) => NativeBpfSensor;

interface SensorContainer {
  pid: number;
  cgroupId: number;
  policy: NativePolicy;
  /** The writable layer was checked and holds no unverified copied-up program. */
  trustUnwrittenCopies: boolean;
  trusted: TrustedFile[];
  /** st_dev of the container's overlay, to forget its write marks when it goes. */
  overlayDev?: number;
  checking: boolean;
  /** Set by imageSettled: where refused copies are hashed and what they must equal. */
  upperDir?: string;
  imageDigests?: ReadonlyMap<string, string>;
  /** Refused copies being hashed now (by path), bounded. */
  verifying: Set<string>;
  /** The container's own filesystems judged for libraries: st_dev → mount point inside it. */
  judgedVolumes: Map<number, string>;
  /** st_dev of the container's root overlay, watched while attached: its execs reach fanotify. */
  watchedRoot?: number;
}

/** Refused copies hashed at once per container: a flood of refusals must not flood the hasher. */
const MAX_VERIFYING = 16;

export class EbpfSensor implements MarkFollower {
  private sensor?: NativeBpfSensor;
  private coverageAtStart?: BpfCoverage;
  private readonly containers = new Map<string, SensorContainer>();
  /** Containers refused registration → the task's pid: a policy refresh re-attaches them; said once per task. */
  private readonly refused = new Map<string, number>();
  private cgroupIds?: CgroupIds;

  constructor(
    private readonly logger: Logger,
    private readonly view: HostView,
    private readonly onRecord: (record: VerdictRecord) => void,
    /** The native sensor; tests pass a recording stand-in. */
    private readonly createSensor: SensorFactory = (options, onFindings) =>
      new (nativeBinding().BpfSensor)(options, onFindings),
  ) {}

  /** Loads what the kernel accepts; never fails the agent (fanotify is the core). */
  start(): BpfCoverage | undefined {
    try {
      const options = { hostMountNamespace: this.view.mountNamespace };
      this.sensor = this.createSensor(options, (batch) => batch.forEach((f) => this.onFinding(f)));
      const coverage = this.sensor.start();
      this.coverageAtStart = coverage;
      this.logger.info(
        { built: coverage.built, tracepoint: coverage.tracepoint, lsm: coverage.lsm, reasons: coverage.reasons },
        coverage.lsm
          ? "eBPF sensor: fileless execs, execs from unwatched filesystems and drifted libraries are refused in enforce"
          : coverage.tracepoint
            ? "eBPF sensor: fileless execs and execs from unwatched filesystems are killed before they run in enforce (this kernel refuses BPF LSM programs)"
            : "eBPF sensor: no coverage of fileless execs and unwatched filesystems on this node",
      );
      return coverage;
    } catch (error) {
      this.logger.warn({ err: error }, "eBPF sensor unavailable; fileless execs are not covered");
      this.sensor = undefined;
      return undefined;
    }
  }

  /** Filesystems the exec guard marked (see FilesystemMarks). */
  watchFilesystems(devs: number[]): void {
    this.sensor?.watchFilesystems(devs);
  }

  unwatchFilesystems(devs: number[]): void {
    this.sensor?.unwatchFilesystems(devs);
  }

  /** A new container, a restarted task (new pid, new cgroup) or a policy change. */
  attach(key: string, record: ContainerRecord, policy: NativePolicy, volumes: NativeVolume[] = []): void {
    if (!this.sensor) return;
    const known = this.containers.get(key);
    if (this.refused.get(key) === record.pid) return;
    this.cgroupIds ??= new CgroupIds(this.view);
    const cgroupId =
      known?.pid === record.pid ? known.cgroupId : registrableCgroupId(this.cgroupIds, record, this.logger);
    if (cgroupId === undefined) {
      this.refused.set(key, record.pid);
      return;
    }
    this.refused.delete(key);
    if (known && known.cgroupId !== cgroupId) this.sensor.removeContainers([known.cgroupId]);
    const container: SensorContainer = known ?? {
      pid: record.pid,
      cgroupId,
      policy,
      trustUnwrittenCopies: false,
      trusted: [],
      checking: false,
      verifying: new Set(),
      judgedVolumes: new Map(),
    };
    container.judgedVolumes = judgedVolumesOf(volumes, policy);
    const restarted = known !== undefined && known.pid !== record.pid;
    if (restarted) this.forgetOverlay(container);
    container.pid = record.pid;
    container.cgroupId = cgroupId;
    container.policy = policy;
    this.containers.set(key, container);
    this.watchRoot(container, record);
    this.put(key, container);
    // The new task mounts the writable layer anew: writes made through the old mount
    // were marked on another overlay, so the layer is checked again before copies count.
    if (restarted && container.imageDigests !== undefined) {
      this.imageSettled(key, record, container.imageDigests).catch((error: unknown) =>
        this.logger.error({ container: record.id, err: error }, "checking the writable layer again failed"),
      );
    }
  }

  /**
   * The container's root overlay: its files' real files live on the marked snapshot
   * filesystem, so its execs reach fanotify. A restarted task mounts a new overlay.
   */
  private watchRoot(container: SensorContainer, record: ContainerRecord): void {
    const root = rootOverlayOf(record, this.view);
    const dev = root?.dev;
    if (dev === container.watchedRoot) return;
    if (dev !== undefined) this.sensor?.watchFilesystems([dev]);
    if (container.watchedRoot !== undefined) this.sensor?.unwatchFilesystems([container.watchedRoot]);
    container.watchedRoot = dev;
    if (root?.source !== "host-mounts") {
      this.logger.warn(
        { container: record.id, pid: record.pid, rootDev: dev },
        dev === undefined
          ? "container root not found: its execs are judged as from an unwatched filesystem"
          : "container root not in the host's mount table: taken from its init process",
      );
    }
  }

  /** Unwritten copies are not trusted until the layer is checked for the new mount. */
  private forgetOverlay(container: SensorContainer): void {
    container.trustUnwrittenCopies = false;
    if (container.overlayDev !== undefined) this.sensor?.forgetWritten(container.overlayDev);
    container.overlayDev = undefined;
  }

  /**
   * The container's image baseline is settled (digests of its programs by path, or
   * undefined when it failed): checks the copies already on the writable layer.
   */
  async imageSettled(
    key: string,
    record: ContainerRecord,
    imageDigests: ReadonlyMap<string, string> | undefined,
  ): Promise<void> {
    const container = this.containers.get(key);
    if (!this.sensor || !this.coverageAtStart?.lsm || !container || container.checking || !record.rootfs.upperDir)
      return;
    container.checking = true;
    const started = performance.now();
    const pid = container.pid;
    let check: CopyCheck;
    try {
      container.overlayDev ??= container.watchedRoot;
      check = await checkWritableLayerCopies(hostPath(this.view, record.rootfs.upperDir), imageDigests ?? new Map());
    } finally {
      container.checking = false;
    }
    if (this.containers.get(key) !== container || !this.sensor) return; // detached meanwhile
    // Restarted meanwhile: the new mount's writes were not all marked when the check began.
    if (container.pid !== pid) return this.imageSettled(key, { ...record, pid: container.pid }, imageDigests);
    this.sensor.putTrustedFiles(check.trusted);
    container.trusted.push(...check.trusted);
    container.upperDir = hostPath(this.view, record.rootfs.upperDir);
    container.imageDigests = imageDigests;
    container.trustUnwrittenCopies = check.complete && check.unverifiedCount === 0;
    this.put(key, container);
    const facts = {
      container: record.id,
      entries: check.entries,
      copies: check.copies,
      trusted: check.trusted.length,
      ms: Math.round(performance.now() - started),
    };
    if (container.trustUnwrittenCopies)
      this.logger.debug(facts, "writable layer checked: unwritten copies are trusted");
    else
      this.logger.warn(
        { ...facts, problem: check.problem },
        "writable layer not clean: copied-up libraries load only once hashed by the agent",
      );
  }

  detach(key: string): void {
    this.refused.delete(key);
    const container = this.containers.get(key);
    if (!container) return;
    this.containers.delete(key);
    if (!this.sensor) return;
    this.sensor.removeContainers([container.cgroupId]);
    if (container.watchedRoot !== undefined) this.sensor.unwatchFilesystems([container.watchedRoot]);
    this.sensor.removeTrustedFiles(container.trusted);
    this.forgetOverlay(container);
  }

  stats = (): ReturnType<NativeBpfSensor["stats"]> | undefined => this.sensor?.stats();

  /** What start() found; undefined before, or when the sensor could not be created. */
  coverage = (): BpfCoverage | undefined => this.coverageAtStart;

  /** Containers running now whose execs it cannot attribute (no cgroup id). */
  unattributed = (): number => this.refused.size;

  close(): void {
    this.sensor?.flushFindings();
    this.sensor?.close();
    this.sensor = undefined;
  }

  private onFinding(f: SensorFinding): void {
    // The kernel names a volume's file inside the volume; the container sees it below its mount point.
    const mountPoint = f.volume ? this.containers.get(f.containerId)?.judgedVolumes.get(f.dev) : undefined;
    if (mountPoint !== undefined) f.path = path.posix.join(mountPoint, f.path);
    this.onRecord(verdictRecordOf(f));
    if (f.reason === "library" && f.verdict === "blocked") void this.verifyRefusedCopy(f);
  }

  /**
   * A refused mapping may be a copy the kernel could not trust ahead: one opened for write
   * but unchanged, or any copy in a container whose writable layer was not clean. Hashed
   * now: equal to the image file at its path, the same inode loads from the next try.
   */
  private async verifyRefusedCopy(f: SensorFinding): Promise<void> {
    const container = this.containers.get(f.containerId);
    const digest = container?.imageDigests?.get(f.path);
    if (!container?.upperDir || !digest || container.verifying.has(f.path)) return;
    if (container.verifying.size >= MAX_VERIFYING) return;
    container.verifying.add(f.path);
    try {
      // Opened beneath the writable layer without following a symlink at any component
      // (the container may have swapped one in since); the inode is compared too, so a
      // cut or renamed path cannot vouch for another file.
      const file = await nativeBinding().hashFileBeneath(container.upperDir, f.path.replace(/^\/+/, ""), {
        maxBytes: DEFAULT_COPY_CHECK_LIMITS.maxHashBytes,
        onlyIfProgram: true,
      });
      if (file.dev !== f.dev || file.ino !== f.ino || file.sha256 !== digest) return;
      if (this.containers.get(f.containerId) !== container || !this.sensor) return;
      const trusted = { dev: file.dev, ino: file.ino, ctimeSec: file.ctimeSec, ctimeNsec: file.ctimeNsec };
      this.sensor.putTrustedFiles([trusted]);
      container.trusted.push(trusted);
      this.logger.info(
        { container: f.containerId, path: f.path },
        "refused copy of an image library hashed equal to the image: it loads from now on",
      );
    } catch {
      // Gone or replaced: nothing to trust.
    } finally {
      container.verifying.delete(f.path);
    }
  }

  private put(key: string, container: SensorContainer): void {
    this.sensor?.putContainers([
      {
        cgroupId: container.cgroupId,
        containerId: key,
        execMode: container.policy.mode,
        libraryMode: libraryModeFor(container.policy),
        trustUnwrittenCopies: container.trustUnwrittenCopies,
        volumeDevs: [...container.judgedVolumes.keys()],
      },
    ]);
  }
}
