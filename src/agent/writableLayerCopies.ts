// Checks the copies of image files already on a container's writable layer when the agent
// starts watching it. From then on the eBPF sensor knows every overlay file opened for
// write or truncated, so a copy made later (chmod, chown, touch of an image library)
// that nobody wrote is the image's content and may be mapped executable without a hash.
// A copy made before could have been written while no one watched: each is hashed here.
// One that is a program and differs from the image (or cannot be read) means the sensor
// must not trust unwritten copies in this container; equal ones become trusted files.
//
// The writable layer belongs to the container: entries vanish and change while this runs
// (skipped), nothing is followed at any component (directories and files are opened
// beneath the layer root without following symlinks, entries stat'ed relative to their
// open directory: src/baseline/beneathFs.ts; the hasher reads identity, xattrs and
// content from the one file it opened), and the walk is bounded.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { EILSEQ, changedSinceListed, nativeBeneathFs, readEntries, relOf, type BeneathFs } from "../baseline/beneathFs";
import { createLimiter } from "../baseline/limiter";
import { DEFAULT_LIMITS } from "../baseline/limits";
import type { TrustedFile } from "../native/bpfBinding";
import { errorMessage } from "../util/errorMessage";

/**
 * overlayfs marks a copy with the file handle of the image file it came from (user.* for
 * unprivileged mounts); a metacopy (metacopy=on) still reads its data from the image file.
 * Neither can be set from inside the container. Metacopy first: it needs no hash.
 */
const METACOPY_XATTRS = ["trusted.overlay.metacopy", "user.overlay.metacopy"];
const COPY_XATTRS = [...METACOPY_XATTRS, "trusted.overlay.origin", "user.overlay.origin"];
const { ENOENT } = os.constants.errno;

export interface CopyCheckLimits {
  /** Directory entries read at most; a larger layer is not checked (copies stay untrusted). */
  maxEntries: number;
  maxDepth: number;
  /** A copy larger than this cannot be confirmed. */
  maxHashBytes: number;
  /** Files opened at once (libuv pool). */
  concurrency: number;
}

export const DEFAULT_COPY_CHECK_LIMITS: CopyCheckLimits = {
  maxEntries: 200_000,
  maxDepth: 128,
  maxHashBytes: DEFAULT_LIMITS.maxHashBytes,
  concurrency: 4,
};

export interface CopyCheck {
  /** Every entry was read and every copy judged: unwritten copies may be trusted. */
  complete: boolean;
  /** Why not complete, or why copies stay untrusted. */
  problem?: string;
  entries: number;
  /** Files overlayfs copied up from the image. */
  copies: number;
  /** Copies that are programs equal to the image file at their path: trusted files. */
  trusted: TrustedFile[];
  /** Copies that are programs and not the image's (or unreadable): the first few paths. */
  unverified: string[];
  unverifiedCount: number;
}

/**
 * @param upperDir the writable layer as the agent sees it (host path)
 * @param imageDigests hex SHA-256 of the image's programs by path inside the container
 * @param beneath the filesystem calls (tests wrap them to change the layer mid-walk)
 */
export async function checkWritableLayerCopies(
  upperDir: string,
  imageDigests: ReadonlyMap<string, string>,
  limits: CopyCheckLimits = DEFAULT_COPY_CHECK_LIMITS,
  beneath: BeneathFs = nativeBeneathFs,
): Promise<CopyCheck> {
  const result: CopyCheck = { complete: true, entries: 0, copies: 0, trusted: [], unverified: [], unverifiedCount: 0 };
  const limit = createLimiter(limits.concurrency);
  const jobs: Promise<void>[] = [];
  const unverified = (imagePath: string) => {
    result.unverifiedCount++;
    if (result.unverified.length < 10) result.unverified.push(imagePath);
  };
  const checkFile = async (imagePath: string): Promise<void> => {
    let file;
    try {
      const options = { maxBytes: limits.maxHashBytes, onlyIfProgram: true, onlyIfXattr: COPY_XATTRS };
      file = await beneath.hashFile(upperDir, relOf(imagePath), options);
    } catch (error) {
      // Gone, or replaced by something that is not a regular file: nothing left to map.
      if (changedSinceListed(error)) return;
      return unverified(imagePath);
    }
    if (file.xattr === null) return; // created on the writable layer: never trusted unhashed
    result.copies++;
    if (METACOPY_XATTRS.includes(file.xattr) || file.program === null) return;
    if (file.sha256 !== imageDigests.get(imagePath)) return unverified(imagePath);
    result.trusted.push({ dev: file.dev, ino: file.ino, ctimeSec: file.ctimeSec, ctimeNsec: file.ctimeNsec });
  };
  const stop = (problem: string) => {
    result.complete = false;
    result.problem = problem;
    return new Error(problem);
  };

  const dirs: { imagePath: string; depth: number }[] = [{ imagePath: "/", depth: 0 }];
  try {
    while (dirs.length > 0 && result.complete) {
      const { imagePath, depth } = dirs.pop()!;
      let stream;
      try {
        stream = beneath.openDir(upperDir, relOf(imagePath));
      } catch (error) {
        // Removed meanwhile, or swapped for a symlink (never followed: ELOOP, ENOTDIR).
        if (imagePath !== "/" && changedSinceListed(error)) continue;
        throw error;
      }
      await readEntries(stream, (entry) => {
        if (++result.entries > limits.maxEntries)
          throw stop(`more than ${limits.maxEntries} entries on the writable layer`);
        // A name that is not UTF-8 cannot be named from here: whatever it is, it stays unjudged.
        if (entry.errno === EILSEQ) return unverified(`${path.posix.join(imagePath, "?")} (a name that is not UTF-8)`);
        if (entry.mode === 0 && entry.errno !== ENOENT) return unverified(path.posix.join(imagePath, entry.name));
        const child = path.posix.join(imagePath, entry.name);
        const type = entry.mode & fs.constants.S_IFMT;
        if (type === fs.constants.S_IFDIR) {
          if (depth + 1 > limits.maxDepth) throw stop(`directories nested deeper than ${limits.maxDepth} at ${child}`);
          dirs.push({ imagePath: child, depth: depth + 1 });
        } else if (type === fs.constants.S_IFREG) {
          jobs.push(limit(() => checkFile(child)));
        }
      });
    }
  } catch (error) {
    if (result.complete) stop(`reading the writable layer: ${errorMessage(error)}`);
  }
  await Promise.all(jobs);
  if (result.complete && result.unverifiedCount > 0) {
    result.problem = `${result.unverifiedCount} copied-up program(s) differ from the image or cannot be read (${result.unverified.join(", ")})`;
  }
  return result;
}
