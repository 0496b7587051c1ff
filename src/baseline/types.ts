// What an image baseline is made of. A LayerManifest describes one image layer as it was
// shipped (a directory unpacked by containerd, or a layer tar); an ImageBaseline is the
// merged view of an image's layers, lower first, with whiteouts and opaque dirs applied.
/** A regular file of a layer. Paths are absolute inside the image ("/bin/ls"). */
export interface LayerFile {
  path: string;
  /** Permission bits and file type bits as in st_mode. */
  mode: number;
  size: number;
  /** Hex SHA-256; present for programs (any exec bit, or ELF / "#!" magic). */
  sha256?: string;
  /** What the first bytes say, when the file was sniffed. */
  program?: "elf" | "script";
}

/** Anything else the layer holds at a path; recorded, never opened. */
export interface LayerSpecial {
  path: string;
  kind: "dir" | "symlink" | "device" | "fifo" | "socket";
}

/** What a layer read counted; the budget is charged with entries and manifestBytes. */
export interface LayerStats {
  entries: number;
  /** The layer's share of manifest memory: see ./budget.ts. */
  manifestBytes: number;
  programs: number;
  hashedBytes: number;
  /** Programs recorded without sha256 because they exceed maxHashBytes. */
  oversized: number;
}

export interface LayerManifest {
  /** Format version of this record (the on-disk cache key includes it). */
  version: 1;
  /** Where it came from, for messages only: a directory or "archive.tar#sha256:...". */
  source: string;
  files: LayerFile[];
  specials: LayerSpecial[];
  /** Paths this layer deletes from the layers below (".wh.name" or a 0/0 char device). */
  whiteouts: string[];
  /** Directories whose content from the layers below this layer hides. */
  opaqueDirs: string[];
  stats: LayerStats;
}

/** A file of the merged image. */
export interface ImageFileEntry {
  mode: number;
  size: number;
  sha256?: string;
  /** Any exec bit set in the image. */
  executable: boolean;
  /** What the first bytes say, when the file was sniffed. */
  program?: "elf" | "script";
}

export interface ImageBaseline {
  /** Layer identities, lower first. */
  layers: string[];
  /** Every regular file of the merged image by path, in tree order (./treeOrder.ts). */
  files: Map<string, ImageFileEntry>;
}

/** Bounds on hostile input. Every walk and every read stops at these with a BaselineError. */
export interface BaselineLimits {
  /** The image budget: entries of all of an image's layers together. Default 1,000,000. */
  maxEntries: number;
  /** The image budget: manifest memory of all its layers together (./budget.ts). Default 192 MiB. */
  maxManifestBytes: number;
  /** Directory depth. Default 256. */
  maxDepth: number;
  /** Bytes of one path. Default 4096. */
  maxPathBytes: number;
  /** A program larger than this is recorded without a hash. Default 2 GiB. */
  maxHashBytes: number;
  /** Files hashed at once. Default: available parallelism. */
  hashConcurrency: number;
}

export type BaselineErrorCode =
  | "TOO_MANY_ENTRIES"
  | "MANIFEST_TOO_LARGE"
  | "TOO_DEEP"
  | "PATH_TOO_LONG"
  | "UNSAFE_PATH"
  | "NOT_A_DIRECTORY"
  | "BAD_ARCHIVE"
  | "UNSUPPORTED_COMPRESSION"
  | "IO_ERROR";

/** How far a layer read has come, for progress displays. Called often: keep it cheap. */
export interface BaselineProgress {
  /** Layer source, as in LayerManifest.source. */
  source: string;
  entries: number;
  hashedBytes: number;
  /** Bytes of the layer blob read so far (archives only). */
  readBytes?: number;
}

/** A baseline that could not be built, with a stable code and the input that caused it. */
export class BaselineError extends Error {
  constructor(
    readonly code: BaselineErrorCode,
    readonly input: string,
    message: string,
  ) {
    super(`${code}: ${input}: ${message}`);
    this.name = "BaselineError";
  }
}
