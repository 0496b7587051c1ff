// The write tracker's part of the addon's contract (native/writer): who last wrote a file
// on a writable layer or volume.

/** The last writer of a file, as the write tracker saw it (native/writer). */
export interface NativeFileWriter {
  pid: number;
  /** -1 when unknown. */
  uid: number;
  /** "" when the writer had exited before the tracker read /proc. */
  exe: string;
  /** Arguments joined by spaces, at most 512 bytes. */
  cmdline: string;
  /** The latest write seen (ms since the epoch). */
  timeMs: number;
}

export interface WriteTrackerStats {
  events: number;
  recorded: number;
  /** The kernel's queue overflowed: writes were missed. */
  overflows: number;
  writerGone: number;
  evicted: number;
  tracked: number;
}

/** FAN_MODIFY | FAN_CLOSE_WRITE on whole filesystems, writes of processes outside the host's mount namespace (native/writer/WriteTracker.hh). */
export interface NativeWriteTracker {
  /** Returns the filesystem's st_dev. */
  markFilesystem(path: string): number;
  start(): void;
  /** The last writer of the regular file at path (no final symlink followed), null when none was seen. */
  writerOf(path: string): NativeFileWriter | null;
  stats(): WriteTrackerStats;
  close(): void;
}
