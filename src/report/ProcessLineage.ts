// The ancestry of the process that called execve, as the agent reports it with a finding.

/** One process of the chain. */
export interface LineageProcess {
  pid: number;
  /** Its program (host path of /proc/<pid>/exe), "" when unreadable. */
  exe: string;
  /** Its arguments, bounded (src/api/lineageLimits.ts), control characters escaped. */
  argv: string[];
  /** Real uid and gid, -1 when unknown. */
  uid: number;
  gid: number;
  /** The uid's name in the container's own /etc/passwd, "" when unknown or outside the container. */
  user: string;
  /** When it started (ms since the epoch, 10 ms resolution), 0 when unknown. */
  startMs: number;
  /** In the container's pid namespace; the last process of a chain may be outside (the shim). */
  inContainer: boolean;
}

export interface ProcessLineage {
  /** The exec'ing process first, then its parent, up to the container's init or the first process outside it. */
  processes: LineageProcess[];
  /** The chain reaches the container from outside through a process other than its init: a `runc exec` / `kubectl exec` session. */
  execSession: boolean;
  /** Whether the chain reached the container's init or a process outside; false when an ancestor was gone or the depth bound was hit. */
  complete: boolean;
}

export const NO_LINEAGE: ProcessLineage = { processes: [], execSession: false, complete: false };
