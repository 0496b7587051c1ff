// The typed contract of the eBPF sensor in the native addon (native/bpf): fileless execs,
// the loader trick and drifted libraries. Constructed through nativeBinding().BpfSensor.
import type { ReasonDetectedBy } from "../domain/driftReason";
import type { Action, PolicyMode, Verdict } from "../domain/verdict";

/** Options of the eBPF sensor. Every field has a default. */
export interface BpfSensorOptions {
  /** The reader drains the ring buffer at least this often (ms). Default 100. */
  flushIntervalMs?: number;
  /** ... and as soon as this many bytes are queued (one kernel wake-up per batch). Default 65536. */
  wakeupBytes?: number;
  /** Ring buffer size: a power of two from 4096 to 2^30. Default 1 MiB (~2600 findings). */
  ringBytes?: number;
  /** Attach the BPF LSM programs where the kernel runs them (blocking). Default true. */
  tryLsm?: boolean;
  /** Also report fileless execs of processes in no known container (cgroup). Default false. */
  reportUnknownCgroups?: boolean;
  /** Attach the exec tracepoint even when the LSM programs run (tests). Default false. */
  tracepointWithLsm?: boolean;
  /** Findings buffered while JS is busy; more are dropped and counted. Default 65536. */
  findingBufferLimit?: number;
  /** Inode of the host's mount namespace: execs in it (the host's own, runc's) are never judged. Default 0 (none). */
  hostMountNamespace?: number;
}

/** What the sensor covers on this kernel, decided at start(). */
export interface BpfCoverage {
  /** The addon was compiled with the sensor (clang, bpftool, libbpf-dev at build time). */
  built: boolean;
  /**
   * sched_process_exec attached: fileless execs and execs from unwatched filesystems are
   * stopped by SIGKILL before the new program's first instruction (enforce) or reported.
   */
  tracepoint: boolean;
  /** LSM programs attached and seen running: those execs and drifted libraries refused (EPERM) in enforce. */
  lsm: boolean;
  /** The file a new program starts in (its ELF interpreter) is judged too (tp_btf with bpf_find_vma, or LSM). */
  entryChecked: boolean;
  /** Which program types the kernel loaded and attached (a minimal program of each). */
  programTypes: { rawTracepoint: boolean; tracingRawTp: boolean; fentry: boolean; lsm: boolean };
  /** One sentence per thing not covered and why, for the log and metrics. */
  reasons: string[];
}

/** A container as the sensor attributes and decides it. */
export interface BpfContainer {
  /** cgroup v2 id: the inode number of the container's cgroup directory in the cgroup2 mount. */
  cgroupId: number;
  containerId: string;
  /** Fileless execs and execs from unwatched filesystems: refused (LSM) or killed (tracepoint) in enforce, else reported. */
  execMode: PolicyMode;
  /** PROT_EXEC mappings of writable-layer files not in the trusted files (libraries, the loader trick). */
  libraryMode: PolicyMode;
  /**
   * The agent checked the copies already on the writable layer (each equal to the image, or
   * not a program): a copy of an image file never opened for write or truncated since then
   * is unchanged and may be mapped without a hash. Default false.
   */
  trustUnwrittenCopies?: boolean;
  /**
   * Filesystems (st_dev) whose files this container may not map executable: its own tmpfs
   * volumes (/dev, memory emptyDirs) its policy does not allow. Replaces the previous set. Default none.
   */
  volumeDevs?: number[];
}

/**
 * A writable-layer file that may be mapped executable (a library): hashed equal to the image file at
 * its path. Exec'd binaries need no entry (fanotify decides them).
 */
export interface TrustedFile {
  /** st_dev and st_ino of the real file in the upper dir (not of the overlay view). */
  dev: number;
  ino: number;
  /** Its ctime when hashed; a later change (write, chmod, inode reuse) voids the entry. */
  ctimeSec: number;
  ctimeNsec: number;
}

/** One fileless exec, exec from an unwatched filesystem, or drifted library mapping. */
export interface SensorFinding {
  timeMs: number;
  reason: ReasonDetectedBy<"bpf-sensor">;
  /** tracepoint: after the exec committed; lsm_exec / lsm_mmap / lsm_mprotect: decided before it. */
  source: "tracepoint" | "lsm_exec" | "lsm_mmap" | "lsm_mprotect";
  /** "blocked" in enforce (refused or killed), else "audited". */
  verdict: Verdict;
  /** refused: EPERM (LSM); killed: SIGKILL before the new program's first instruction; audited: it ran. */
  action: Action;
  mode: PolicyMode;
  pid: number;
  ppid: number;
  uid: number;
  /** The matched container's cgroup id (or the process's own when none matched). */
  cgroupId: number;
  /** "" when no known container matched (reportUnknownCgroups). */
  containerId: string;
  /** Task name (for an exec: the new program's). */
  comm: string;
  /** Exec: the path given to execve ("/dev/fd/3" for execveat). Library: path inside the container. */
  path: string;
  /** The file's name: "memfd:<name>" for memfd_create. */
  name: string;
  memfd: boolean;
  /** The file had no link left (deleted, memfd, O_TMPFILE). */
  unlinked: boolean;
  /** A library on one of the container's judged volumes: path is inside the volume. */
  volume: boolean;
  /** unwatched_filesystem: the file is the program's ELF interpreter (name), not the file exec'd (path). */
  entry: boolean;
  /** st_dev / st_ino of the file (for a library: of the writable-layer file). */
  dev: number;
  ino: number;
  /** From /proc when the reader got there before the process exited, else "". */
  exe: string;
  cmdline: string;
  /** The command line was not read in time (the process held its memory map's lock). */
  cmdlineUnread: boolean;
  parentExe: string;
}

export interface BpfSensorStats {
  /** sched_process_exec hits (only while the tracepoint is attached). */
  execs: number;
  /** Fileless execs seen (any container or none), runc's included. */
  fileless: number;
  /** runc's own memfd:runc_cloned re-execs, not reported. */
  runcExcepted: number;
  lsmExecHits: number;
  lsmMmapHits: number;
  blocked: number;
  audited: number;
  /** Submits that woke the reader (queued bytes crossed wakeupBytes). */
  forcedWakeups: number;
  /** Events lost because the ring buffer was full. */
  ringbufFull: number;
  /** Overlay inodes remembered as opened for write or truncated (LSM only). */
  writtenMarks: number;
  /** Marks that did not fit: from then on copies need the agent's hash (fail-safe). */
  writtenLost: number;
  /** PROT_EXEC mappings allowed as unwritten copies of image files. */
  copiesTrusted: number;
  /** Reader wake-ups caused by the kernel (the rest are timer drains). */
  readerWakeups: number;
  readerPolls: number;
  eventsRead: number;
  containers: number;
  /** Container execs from filesystems fanotify does not watch. */
  unwatched: number;
  /** New programs stopped by SIGKILL before their first instruction (tracepoint, or an interpreter's mapping refused). */
  killed: number;
  /** Execs in the host's mount namespace (the host's own, runc's in a container's cgroup), not judged. */
  hostMountNamespace: number;
  /** Execs whose first mapping could not be read (mmap lock busy): their interpreter was not judged. */
  entryUnknown: number;
  /** Filesystems whose execs fanotify decides (the sensor's watched set). */
  watchedFilesystems: number;
  findingsDropped: number;
  findingsDelivered: number;
}

export interface NativeBpfSensor {
  /** Probes, loads and attaches what the kernel accepts; never throws because a kernel refuses. */
  start(): BpfCoverage;
  coverage(): BpfCoverage;
  /** Adds or replaces containers (by cgroupId). */
  putContainers(containers: BpfContainer[]): void;
  removeContainers(cgroupIds: number[]): void;
  putTrustedFiles(files: TrustedFile[]): void;
  removeTrustedFiles(files: Pick<TrustedFile, "dev" | "ino">[]): void;
  /** Forgets the write marks of one overlay mount (its st_dev) when its container goes; returns how many. */
  forgetWritten(overlayDev: number): number;
  /**
   * Filesystems (st_dev) whose execs fanotify decides: every filesystem the exec guard marked
   * and each attached container's overlay. A container's exec from any other filesystem is
   * drift (unwatched_filesystem). Counted: a filesystem watched twice needs two unwatch calls.
   */
  watchFilesystems(devs: number[]): void;
  unwatchFilesystems(devs: number[]): void;
  stats(): BpfSensorStats;
  /** Delivers buffered findings now, synchronously. */
  flushFindings(): void;
  /** Detaches every program and delivers what is still queued. */
  close(): void;
}
