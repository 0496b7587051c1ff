// The merged baseline in the shape the native decision table takes (src/native/binding.ts):
// programs with their digests and flags, every other regular file by path only.
import { IMAGE_FILE_EXECUTABLE, IMAGE_FILE_HASHED, type NativeImageTable } from "../native/binding";
import type { ImageBaseline } from "./types";

const DIGEST_BYTES = 32;

export function toNativeTable(baseline: ImageBaseline): NativeImageTable {
  const programs: [string, { sha256?: string; executable: boolean; size: number }][] = [];
  const otherPaths: string[] = [];
  for (const [path, entry] of baseline.files) {
    // An executable too large to hash is still listed: its exec from the writable layer
    // is then "modified" (content cannot be confirmed), not "new_file".
    if (entry.sha256 !== undefined || entry.executable) programs.push([path, entry]);
    else otherPaths.push(path);
  }
  const digests = Buffer.alloc(programs.length * DIGEST_BYTES);
  const flags = new Uint8Array(programs.length);
  const sizes = new Float64Array(programs.length);
  programs.forEach(([, entry], i) => {
    sizes[i] = entry.size;
    if (entry.sha256 !== undefined) {
      digests.write(entry.sha256, i * DIGEST_BYTES, DIGEST_BYTES, "hex");
      flags[i] |= IMAGE_FILE_HASHED;
    }
    if (entry.executable) flags[i] |= IMAGE_FILE_EXECUTABLE;
  });
  return { files: programs.map(([path]) => path), digests, flags, sizes, otherPaths };
}
