// The typed contract of the native file functions (native/fs): hashing a file, and the
// walks over trees someone else may change (image layers, a container's writable layer).
// Called through nativeBinding().

export interface HashBeneathOptions {
  /** A larger file is refused (rejects), unless sniffOnly. */
  maxBytes: number;
  /** Hash only ELF and "#!" files (sha256 null otherwise). */
  onlyIfProgram?: boolean;
  /** Read only the magic, never hash (files too large to hash). */
  sniffOnly?: boolean;
  /** As hashFile's onlyIfXattr. */
  onlyIfXattr?: string[];
}

/** Numbers per entry in NativeDirStream.read()'s stats: st_mode, st_size, st_rdev, errno. */
export const DIR_STAT_STRIDE = 4;

/**
 * An open directory of a tree someone else may change. Each entry's lstat is taken relative
 * to this open directory (fstatat), never through a path. [JS thread]
 */
export interface NativeDirStream {
  /**
   * Up to `max` entries (never "." or ".."), null at the end. An entry whose st_mode is 0
   * could not be stat'ed: its errno says why (ENOENT: gone since readdir; EILSEQ: its name
   * is not UTF-8, and the name given is "").
   */
  read(max: number): { names: string[]; stats: Float64Array } | null;
  /** fgetxattr on the directory itself; null when absent. */
  xattr(name: string): Buffer | null;
  close(): void;
}

export interface HashFileResult {
  /** Hex digest, null when onlyIfProgram was set and the file is not a program. */
  sha256: string | null;
  bytes: number;
  program: "elf" | "script" | null;
  /** With onlyIfXattr: the first of those names the file has, null when none (nothing else was read). */
  xattr: string | null;
  /** fstat of the opened file, taken before it was read. */
  dev: number;
  ino: number;
  ctimeSec: number;
  ctimeNsec: number;
}
