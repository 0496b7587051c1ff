// Who wrote the file a finding's exec ran: the native write tracker (native/writer) on the
// filesystems of containerd's snapshots and pod volumes, the writes of container processes
// (any process outside the host's mount namespace).
// A node where it cannot start (no fanotify for notification groups) goes without
// writers, logged once; findings then say none was seen.
import type { Logger } from "../log/logger";
import { nativeBinding } from "../native/binding";
import type { NativeWriteTracker, WriteTrackerStats } from "../native/writeTrackerBinding";
import type { FileWriter } from "../report/DriftFinding";
import { escapeControls } from "./lineage/procProcess";

/** Files remembered; each entry holds at most ~4.6 KiB (program path and 512 bytes of arguments), ~1-2 MiB in practice. */
export const WRITER_CAPACITY = 16384;

export class FileWriters {
  private constructor(private readonly tracker: NativeWriteTracker) {}

  /** dirs: directories as the agent opens them (snapshot roots, the pods dir), whose filesystems are marked. */
  static start(dirs: string[], hostMountNamespace: number, logger: Logger): FileWriters | undefined {
    try {
      const tracker = new (nativeBinding().WriteTracker)({ hostMountNamespace, capacity: WRITER_CAPACITY });
      for (const dir of dirs) tracker.markFilesystem(dir);
      tracker.start();
      return new FileWriters(tracker);
    } catch (error) {
      logger.warn({ err: error }, "write tracking unavailable: findings will not name who wrote a file");
      return undefined;
    }
  }

  /** The last writer of the file at path (as the agent opens it), null when none was seen. */
  writerOf(path: string): FileWriter | null {
    if (!path) return null;
    const w = this.tracker.writerOf(path);
    if (!w) return null;
    return {
      pid: w.pid,
      uid: w.uid,
      exe: escapeControls(w.exe),
      cmdline: escapeControls(w.cmdline),
      time: new Date(w.timeMs).toISOString(),
    };
  }

  stats(): WriteTrackerStats {
    return this.tracker.stats();
  }

  close(): void {
    this.tracker.close();
  }
}
