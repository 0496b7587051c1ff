// The exec guard's counters and its start pause, as the native side reports them
// (contract with native/guard/JsConvert.cc and ExecGuardWrap.cc).

export interface GuardStats {
  events: number;
  allowedHost: number;
  allowedImage: number;
  allowedContainer: number;
  blocked: number;
  audited: number;
  heldTotal: number;
  holdOverflow: number;
  deadlineExceeded: number;
  hashed: number;
  hashErrors: number;
  hashCacheHits: number;
  hashCacheMisses: number;
  stalledDrained: number;
  /** /proc reads given up because the process held its memory map's lock (all native threads). */
  procReadsAbandoned: number;
  verdictsDropped: number;
  verdictsDelivered: number;
  /** Verdicts that needed the content and could not prove it (also those the watchdog gave by policy). */
  unverified: number;
  /** Read leases refused: a writer had the file open (or mapped), or no right to a lease. */
  leaseRefused: number;
  /** The agent's own canary execs refused (no finding). */
  canaryRefused: number;
  /** Digests not cached because the file changed within a few clock ticks of the hash. */
  racyNotCached: number;
  /** Proven execs whose file was kept unwritable until the exec committed, and those that hit the time bound. */
  commitHolds: number;
  commitHoldTimeouts: number;
  /** Digests computed for findings after the answer, and findings sent without one (queue full). */
  findingHashes: number;
  findingHashesSkipped: number;
  pendingNow: number;
  heldNow: number;
  marks: number;
  /** Exec ignore marks now, added, evicted for room, times all were removed (a policy change or a failed eviction), refused by the kernel, and the limit. */
  ignoreMarks: number;
  ignoreMarksAdded: number;
  ignoreMarkEvictions: number;
  ignoreMarkFlushes: number;
  ignoreMarkFailures: number;
  ignoreMarkLimit: number;
  /** A container start is pending: no ignore mark is added. */
  ignoreMarksPaused: boolean;
  ignoreMarkPauses: number;
  ignoreMarkResumes: number;
  /** Execs of a watched runtime binary (each paused the ignore marks). */
  runtimeExecs: number;
  runtimesWatched: number;
  tablesGeneration: number;
  containers: number;
  images: number;
  /** Bucket i counts decisions that took < 2^i µs (last bucket: the rest). */
  latencyMicrosLog2: number[];
  /** How processes are told apart: by cgroup id through a pidfd (Linux >= 6.13), else by mount namespace. */
  processIdentity: "cgroup-id" | "mount-namespace";
}

/** Ignore marks paused by a container start (native/guard/RuntimeStarts.hh). */
export interface StartPause {
  paused: boolean;
  /** Grows with every pause; resumeIgnoreMarks names the one it saw. */
  seq: number;
  runtimesWatched: number;
}
