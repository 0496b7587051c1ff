// The merged baseline in the shape the native decision table takes (src/native/binding.ts):
// programs with their digests and flags, every other regular file by path only. Built
// file by file as the merge finds them, so an image never needs a JS object per file.
import { IMAGE_FILE_EXECUTABLE, IMAGE_FILE_HASHED, type NativeImageTable } from "../native/binding";
import type { ImageBaseline, ImageFileEntry } from "./types";

const DIGEST_BYTES = 32;

export class NativeTableCollector {
  private readonly files: string[] = [];
  private digests = Buffer.alloc(64 * DIGEST_BYTES);
  private flags = new Uint8Array(64);
  private sizes = new Float64Array(64);
  private readonly otherPaths: string[] = [];
  /** Hex SHA-256 of the image's programs by path (the writable-layer copy check needs them). */
  readonly programDigests = new Map<string, string>();

  add(path: string, entry: ImageFileEntry): void {
    if (entry.sha256 !== undefined) this.programDigests.set(path, entry.sha256);
    // An executable too large to hash is still listed: its exec from the writable layer
    // is then "modified" (content cannot be confirmed), not "new_file".
    if (entry.sha256 === undefined && !entry.executable) {
      this.otherPaths.push(path);
      return;
    }
    const i = this.files.length;
    if (i === this.flags.length) this.grow();
    this.files.push(path);
    this.sizes[i] = entry.size;
    if (entry.sha256 !== undefined) {
      this.digests.write(entry.sha256, i * DIGEST_BYTES, DIGEST_BYTES, "hex");
      this.flags[i] |= IMAGE_FILE_HASHED;
    }
    if (entry.executable) this.flags[i] |= IMAGE_FILE_EXECUTABLE;
  }

  finish(): NativeImageTable {
    const n = this.files.length;
    return {
      files: this.files,
      digests: this.digests.subarray(0, n * DIGEST_BYTES),
      flags: this.flags.subarray(0, n),
      sizes: this.sizes.subarray(0, n),
      otherPaths: this.otherPaths,
    };
  }

  private grow(): void {
    const digests = Buffer.alloc(this.digests.length * 2);
    this.digests.copy(digests);
    this.digests = digests;
    const flags = new Uint8Array(this.flags.length * 2);
    flags.set(this.flags);
    this.flags = flags;
    const sizes = new Float64Array(this.sizes.length * 2);
    sizes.set(this.sizes);
    this.sizes = sizes;
  }
}

export function toNativeTable(baseline: ImageBaseline): NativeImageTable {
  const collector = new NativeTableCollector();
  for (const [path, entry] of baseline.files) collector.add(path, entry);
  return collector.finish();
}
