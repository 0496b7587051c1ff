// The filesystem calls of the walks over trees someone else may change (image layers, a
// container's writable layer): every open is beneath the tree's root without following a
// symlink at any component, and entries are stat'ed relative to their open directory,
// never by path. A directory swapped for a symlink after readdir is therefore never
// followed: its open fails (ELOOP, ENOTDIR). Tests wrap these calls to change the tree
// at exactly such moments.
import * as os from "node:os";

import { nativeBinding, type NativeBinding } from "../native/binding";
import {
  DIR_STAT_STRIDE,
  type HashBeneathOptions,
  type HashFileResult,
  type NativeDirStream,
} from "../native/fsBinding";

export interface BeneathFs {
  openDir(root: string, rel: string): NativeDirStream;
  hashFile(root: string, rel: string, options: HashBeneathOptions): Promise<HashFileResult>;
}

/** The calls of an addon: the shipped one, or (tests) the test build, whose mechanism can be forced. */
export function beneathFsOf(addon: () => Pick<NativeBinding, "DirStream" | "hashFileBeneath">): BeneathFs {
  return {
    openDir: (root, rel) => new (addon().DirStream)(root, rel),
    hashFile: (root, rel, options) => addon().hashFileBeneath(root, rel, options),
  };
}

export const nativeBeneathFs: BeneathFs = beneathFsOf(nativeBinding);

/** The path beneath the root of an image path: "/bin/ls" → "bin/ls", "/" → "". */
export function relOf(imagePath: string): string {
  return imagePath.slice(1);
}

/** One directory entry as read: st_mode 0 when it could not be stat'ed (errno says why). */
export interface DirEntry {
  name: string;
  mode: number;
  size: number;
  rdev: number;
  errno: number;
}

/** The errno of an entry whose name is not UTF-8 (it cannot be named from JS). */
export const EILSEQ = os.constants.errno.EILSEQ;
/** Entries read per call: ~0.5 ms of fstatat, then the event loop gets a turn. */
const SLICE = 256;

/**
 * Reads a whole directory in slices, handing each entry to `each` (which may throw to stop)
 * and yielding to the event loop between slices. Closes the stream in every case.
 */
export async function readEntries(stream: NativeDirStream, each: (entry: DirEntry) => void): Promise<void> {
  try {
    for (;;) {
      const slice = stream.read(SLICE);
      if (slice === null) return;
      const { names, stats } = slice;
      for (let i = 0; i < names.length; i++) {
        const at = i * DIR_STAT_STRIDE;
        each({ name: names[i], mode: stats[at], size: stats[at + 1], rdev: stats[at + 2], errno: stats[at + 3] });
      }
      if (names.length === SLICE) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    stream.close();
  }
}

/** Whether a failed open or hash means the entry vanished or changed type since it was listed. */
export function changedSinceListed(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ELOOP" || code === "ENOTDIR" || /not a regular file/.test(String(error));
}
