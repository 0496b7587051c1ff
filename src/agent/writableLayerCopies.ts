// Checks the copies of image files already on a container's writable layer when the agent
// starts watching it. From then on the eBPF sensor knows every overlay file opened for
// write or truncated, so a copy made later (chmod, chown, touch of an image library)
// that nobody wrote is the image's content and may be mapped executable without a hash.
// A copy made before could have been written while no one watched: each is hashed here.
// One that is a program and differs from the image (or cannot be read) means the sensor
// must not trust unwritten copies in this container; equal ones become trusted files.
//
// The writable layer belongs to the container: entries vanish and change while this runs
// (skipped), nothing is followed (the native hasher opens with O_NOFOLLOW and reads
// identity, xattrs and content from the one file it opened), and the walk is bounded.
import * as fs from "node:fs";
import * as path from "node:path";

import { createLimiter } from "../baseline/limiter";
import { DEFAULT_LIMITS } from "../baseline/limits";
import { vanishedWhileRead } from "../baseline/vanished";
import { nativeBinding } from "../native/binding";
import type { TrustedFile } from "../native/bpfBinding";
import { errorMessage } from "../util/errorMessage";

/**
 * overlayfs marks a copy with the file handle of the image file it came from (user.* for
 * unprivileged mounts); a metacopy (metacopy=on) still reads its data from the image file.
 * Neither can be set from inside the container. Metacopy first: it needs no hash.
 */
const METACOPY_XATTRS = ["trusted.overlay.metacopy", "user.overlay.metacopy"];
const COPY_XATTRS = [...METACOPY_XATTRS, "trusted.overlay.origin", "user.overlay.origin"];

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
 */
export async function checkWritableLayerCopies(
  upperDir: string,
  imageDigests: ReadonlyMap<string, string>,
  limits: CopyCheckLimits = DEFAULT_COPY_CHECK_LIMITS,
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
      file = await nativeBinding().hashFile(path.join(upperDir, imagePath), limits.maxHashBytes, true, COPY_XATTRS);
    } catch (error) {
      // Gone, or replaced by something that is not a regular file: nothing left to map.
      if (vanishedWhileRead(error)) return;
      return unverified(imagePath);
    }
    if (file.xattr === null) return; // created on the writable layer: never trusted unhashed
    result.copies++;
    if (METACOPY_XATTRS.includes(file.xattr) || file.program === null) return;
    if (file.sha256 !== imageDigests.get(imagePath)) return unverified(imagePath);
    result.trusted.push({ dev: file.dev, ino: file.ino, ctimeSec: file.ctimeSec, ctimeNsec: file.ctimeNsec });
  };

  const dirs: { imagePath: string; depth: number }[] = [{ imagePath: "/", depth: 0 }];
  try {
    while (dirs.length > 0 && result.complete) {
      const { imagePath, depth } = dirs.pop()!;
      let dir: fs.Dir;
      try {
        dir = await fs.promises.opendir(path.join(upperDir, imagePath), { bufferSize: 256 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (imagePath !== "/" && (code === "ENOENT" || code === "ENOTDIR")) continue; // removed meanwhile
        throw error;
      }
      for await (const entry of dir) {
        if (++result.entries > limits.maxEntries) {
          result.complete = false;
          result.problem = `more than ${limits.maxEntries} entries on the writable layer`;
          break;
        }
        const child = path.posix.join(imagePath, entry.name);
        if (entry.isDirectory()) {
          if (depth + 1 > limits.maxDepth) {
            result.complete = false;
            result.problem = `directories nested deeper than ${limits.maxDepth} at ${child}`;
            break;
          }
          dirs.push({ imagePath: child, depth: depth + 1 });
        } else if (entry.isFile()) {
          jobs.push(limit(() => checkFile(child)));
        }
      }
    }
  } catch (error) {
    result.complete = false;
    result.problem = `reading the writable layer: ${errorMessage(error)}`;
  }
  await Promise.all(jobs);
  if (result.complete && result.unverifiedCount > 0) {
    result.problem = `${result.unverifiedCount} copied-up program(s) differ from the image or cannot be read (${result.unverified.join(", ")})`;
  }
  return result;
}

/** The image's program digests by path, kept per image for the copy check. */
export function imageDigestsOf(files: ReadonlyMap<string, { sha256?: string }>): Map<string, string> {
  const digests = new Map<string, string>();
  for (const [imagePath, entry] of files) if (entry.sha256 !== undefined) digests.set(imagePath, entry.sha256);
  return digests;
}
