// The typed contract of the native addon (native/). Everything JS may call in C++ is
// declared here; nothing else reaches the addon. (The test build's extra functions:
// test/testbed/nativeTestBinding.ts.)
import type { DriftReason } from "../domain/driftReason";
import type { Action, PolicyMode, Verdict } from "../domain/verdict";
import type { BpfSensorOptions, NativeBpfSensor, SensorFinding } from "./bpfBinding";
import type { HashBeneathOptions, HashFileResult, NativeDirStream } from "./fsBinding";
import type { GuardStats, StartPause } from "./guardStats";
import { loadAddon } from "./loadAddon";
import type { SampleCapture } from "./sampleCapture";
import type { NativeWriteTracker } from "./writeTrackerBinding";

/** Options of the exec guard. Every field has a default. */
export interface ExecGuardOptions {
  /** Any exec still undecided after this many ms is answered with the fail mode. Default 2000. */
  deadlineMs?: number;
  /**
   * An exec of a known container whose verdict waits for a hash or for its baseline is
   * answered by that container's policy after this many ms (reason "unverified": refused in
   * enforce whatever the fail mode). At most, and by default, 3/4 of deadlineMs.
   */
  hashDeadlineMs?: number;
  /** Answer at the deadline: "open" allows (and reports), "closed" denies. Default "open". */
  failMode?: FailMode;
  /** Execs held for containers not attached yet, at most. Default 4096. */
  holdLimit?: number;
  /** Threads hashing writable-layer files. Default 2. */
  hashWorkers?: number;
  /** Files larger than this are never hashed: a verdict that needs the digest is "unverified". Default 1 GiB. */
  maxHashBytes?: number;
  /** Drift findings waiting for their digest (computed after the answer); more go without one. Default 256. */
  findingHashQueue?: number;
  /** Hash cache entries, keyed by (dev, ino, size, mtime, ctime). Default 65536. */
  hashCacheEntries?: number;
  /** Verdict records buffered while JS is busy; more are dropped and counted. Default 65536. */
  verdictBufferLimit?: number;
  /**
   * How to tell which container runs an exec: "auto" uses cgroup ids through a pidfd where
   * the kernel has them (>= 6.13) and mount namespaces otherwise; "mount-namespace" forces
   * the latter. Default "auto".
   */
  processIdentity?: "auto" | "mount-namespace";
  /**
   * Exec ignore marks at most: after an image layer file no loaded policy denies was
   * allowed, its later execs raise no fanotify event (native/README.md, "Exec ignore
   * marks"). Past the limit the oldest is removed. 0 turns the fast path off. Default 16384.
   */
  ignoreMarkLimit?: number;
  /** Bytes of captured samples read and not yet delivered to JS, at most (more: capture "busy"). Default 128 MiB. */
  sampleBytesInFlight?: number;
  /** No ignore mark until resumeIgnoreMarks (the agent: once it watches the runtime). Default false. */
  ignoreMarksStartPaused?: boolean;
}

export type { GuardStats, StartPause } from "./guardStats";

export type FailMode = "open" | "closed";

/** One decision that was not a plain allow. */
export interface VerdictRecord {
  timeMs: number;
  pid: number;
  ppid: number;
  /** Real uid of the process, -1 if it could not be read. */
  uid: number;
  /** "" when the container is unknown (deadline or hold overflow). */
  containerId: string;
  /** Path inside the container. */
  path: string;
  /** Real path on the node. */
  hostPath: string;
  reason: DriftReason;
  verdict: Verdict;
  /** refused: the exec failed with EPERM; killed: the new program got SIGKILL before its first instruction; audited: it ran. */
  action: Action;
  mode: PolicyMode;
  /** Hex SHA-256 of the executed file, "" when not computed. */
  sha256: string;
  /** Image path with the same content, "" if none. */
  copyOf: string;
  /** Name of the policy in force, "" if none. */
  policy: string;
  /** The program that called execve (what the process ran before the exec), "" if gone. */
  exe: string;
  /** Its command line (arguments joined by spaces, at most 4 KiB); the new program's arguments are not visible yet. */
  cmdline: string;
  /** The command line was not read in time (the process held its memory map's lock): cmdline is "". */
  cmdlineUnread: boolean;
  /** The parent process's program. */
  parentExe: string;
  /** What became of the sample its policy's capture asked for ("off" when none; SampleCapture). */
  capture?: SampleCapture;
  /** The file's bytes, read from the event's fd after the answer, hashing to sha256 (capture "captured"). */
  sample?: Buffer;
}

/** Flags of ImageTable.flags, one byte per file. */
export const IMAGE_FILE_EXECUTABLE = 1;
export const IMAGE_FILE_HASHED = 2;

/** One image's merged baseline, as the native decision needs it. */
export interface NativeImageTable {
  /** Hashed files (programs): paths inside the image. */
  files: string[];
  /** 32 bytes of SHA-256 per file (zeros when not hashed). */
  digests: Buffer;
  /** IMAGE_FILE_* flags per file. */
  flags: Uint8Array;
  /** Size in bytes per file: a writable-layer file of another size is "modified" without a hash. */
  sizes: Float64Array;
  /** Every other regular file's path (to tell made_executable from new_file). */
  otherPaths: string[];
}

/** A container's policy as the native decision applies it. Globs are fnmatch(3) with FNM_PATHNAME. */
export interface NativePolicy {
  name: string;
  mode: PolicyMode;
  /** Drift at these paths inside the container is allowed. */
  allowPaths: string[];
  /** Drift with these contents (hex SHA-256) is allowed. */
  allowDigests: string[];
  /**
   * Drift executed by these image programs is allowed: the program of the process calling
   * execve (a fork of java runs java), proven to be the image's file at that path; never a
   * parent.
   */
  allowParents?: string[];
  /** Volume execs at these paths inside the container are allowed. */
  allowVolumes?: string[];
  /** Execs of these paths are denied even from the image (reason "denied"). */
  denyPaths?: string[];
  /** Drift files up to this many bytes are captured as samples (policy capture.maxBytes); 0 or absent: none. */
  captureMaxBytes?: number;
}

export interface NativeVolume {
  /** Host directory of a bind volume; "" for a whole filesystem (tmpfs) identified by dev. */
  source: string;
  dev: number;
  destination: string;
}

export interface NativeContainer {
  id: string;
  upperDir: string;
  /** Image layer directories, top first (overlay lowerdir order). */
  lowerDirs: string[];
  /** Last component of the container's cgroup path, used to attribute processes. */
  cgroupLeaf: string;
  /** Key of a table put with putImages; "" while the baseline is computed (writable-layer execs wait). */
  imageKey: string;
  /** No baseline (it failed, or the image is over its budget): every writable-layer exec is "unverified". */
  baselineFailed?: boolean;
  /** st_dev of the container's root overlay (0: unknown, then no program is an allowed parent). */
  rootDev?: number;
  policy: NativePolicy;
  volumes: NativeVolume[];
}

/** One atomic change of the decision tables. */
export interface TablesChange {
  putImages?: { key: string; table: NativeImageTable }[];
  dropImages?: string[];
  putContainers?: NativeContainer[];
  removeContainers?: string[];
  /** Directories whose children are snapshot dirs; an unknown snapshot's exec is held. */
  snapshotRoots?: string[];
  /** Directories whose children are volume dirs (kubelet pods dir); unknown ones are held. */
  volumeRoots?: string[];
  /** Substrings of cgroup paths that belong to containers (to hold execs of unattached ones). */
  containerCgroupMarkers?: string[];
  /** Inode of the host's mount namespace: processes in it are host processes. */
  hostMountNamespace?: number;
  /** Prefix that makes a host path openable by the agent: "" or "/proc/1/root" (HostView). */
  hostRootPrefix?: string;
  /**
   * Deny globs of every loaded policy, also of policies no attached container has yet: an
   * image file one of them matches never gets an exec ignore mark. Absent: unchanged.
   */
  loadedDenyPaths?: string[];
  /** st_dev of the agent's canary tmpfs: every exec from it refused, no finding (agent/ExecCanary.ts). */
  canaryDev?: number;
}

export interface NativeExecGuard {
  /** Starts the fanotify thread, the watchdog and the hash workers. */
  start(): void;
  /**
   * Marks the filesystem holding path (a directory; a final symlink is not followed).
   * keepDirFd: false for per-container filesystems (a kept fd would pin them).
   * expectDev: refuse if path is on another device (a container redirected it).
   */
  markFilesystem(path: string, keepDirFd?: boolean, expectDev?: number): { dev: number; added: boolean };
  unmarkFilesystem(dev: number): void;
  /** Applies a change atomically; throws (and changes nothing) on an unknown image key. */
  apply(change: TablesChange): void;
  stats(): GuardStats;
  /**
   * Marks the inodes of the container runtime's binaries (host paths as this process opens
   * them; missing ones are skipped): each exec of one pauses the ignore marks. Call again to
   * follow a binary replaced by an upgrade. Returns how many are watched.
   */
  watchRuntimeBinaries(paths: string[]): number;
  startPause(): StartPause;
  /** Resumes ignore marks if no pause came after seq. */
  resumeIgnoreMarks(seq: number): boolean;
  /**
   * Calls listener on the JS thread soon after each pause (one call covers the pauses that
   * came while it was queued), so that the agent checks for a resume at once. Replaces the
   * previous listener; never keeps the process alive.
   */
  onStartPause(listener: () => void): void;
  /** Delivers buffered verdicts now, synchronously. */
  flushVerdicts(): void;
  /** Stops all threads, answers everything pending with the fail mode, removes all marks. */
  close(): void;
}

export interface NativeBinding {
  ExecGuard: new (options: ExecGuardOptions, onVerdicts: (batch: VerdictRecord[]) => void) => NativeExecGuard;
  /** Opens without following symlinks or blocking on FIFOs; rejects non-regular files and files over maxBytes. */
  hashFile(path: string, maxBytes: number, onlyIfProgram?: boolean, onlyIfXattr?: string[]): Promise<HashFileResult>;
  /**
   * hashFile for `rel` beneath `root`, opened without following a symlink at any component
   * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, or an O_NOFOLLOW
   * walk where openat2 is refused). Errors carry the errno name as `code` when there is one.
   */
  hashFileBeneath(root: string, rel: string, options: HashBeneathOptions): Promise<HashFileResult>;
  /** One directory beneath `root`, opened like hashFileBeneath; throws with `code` (ELOOP, ENOENT...). */
  DirStream: new (root: string, rel: string) => NativeDirStream;
  /**
   * A regular file of at most maxBytes (<= 64 KiB) beneath root (itself followed), resolved
   * without following any symlink or ".." out of root; null otherwise (src/agent/lineage).
   */
  readFileBeneath(root: string, path: string, maxBytes: number): Buffer | null;
  /**
   * At most maxBytes (<= 64 KiB) of a /proc file that takes the process's mmap lock
   * (cmdline), waiting at most ~50 ms: null when not read in time (the process held the
   * lock), an empty Buffer when it cannot be opened.
   */
  readProcFileBounded(path: string, maxBytes: number): Buffer | null;
  /** Writers of files on writable layers and volumes; the host mount namespace's own writes are ignored (0: none are). */
  WriteTracker: new (options: { hostMountNamespace: number; capacity: number }) => NativeWriteTracker;
  /** The eBPF sensor; without BPF at build time it starts with no coverage and says why. */
  BpfSensor: new (options: BpfSensorOptions, onFindings: (batch: SensorFinding[]) => void) => NativeBpfSensor;
  /** fanotify_init as the exec guard calls it; throws the syscall's error (code: EPERM, ...). */
  probeFanotify(): void;
  /** A file handle round trip (name_to_handle_at, open_by_handle_at) on dir; throws the syscall's error. */
  probeFileHandle(dir: string): void;
  /** flock(LOCK_EX|LOCK_NB) on path (created if missing), held until the process exits; false when another holds it. */
  holdFileLock(path: string): boolean;
}

let loaded: NativeBinding | undefined;

/** Loads build/Release/driftguard.node (or $DRIFTGUARD_NATIVE); the error lists every path tried. */
export function nativeBinding(): NativeBinding {
  loaded ??= loadAddon<NativeBinding>("driftguard.node", process.env.DRIFTGUARD_NATIVE);
  return loaded;
}
