// Merges layer manifests (lower first) into the image the container sees, with overlayfs
// semantics: an upper entry at a path replaces the lower one (a directory merges with a
// lower directory, anything else hides the lower path and everything below it), a
// whiteout deletes the path and its subtree from the layers below, an opaque directory
// hides what the layers below had inside it but keeps its own layer's entries.
//
// Layers are visited top first, remembering what upper layers hide, so each lower file
// costs a few set lookups instead of a scan of the merged tree per whiteout.
import { parentOf } from "./imagePath";
import { hasExecBit } from "./programMagic";
import type { ImageBaseline, ImageFileEntry, LayerManifest } from "./types";

export function mergeLayers(layers: { identity: string; manifest: LayerManifest }[]): ImageBaseline {
  const files = new Map<string, ImageFileEntry>();
  /** Paths whose own lower entries and subtrees are hidden (whiteouts, non-directories). */
  const hidden = new Set<string>();
  /** Directories whose lower subtrees are hidden (opaque dirs). */
  const opaque = new Set<string>();
  /** Directories of upper layers: hide a lower non-directory at the same path only. */
  const upperDirs = new Set<string>();

  for (let i = layers.length - 1; i >= 0; i--) {
    const { manifest } = layers[i];
    const visibleDir = memoizedVisibility(hidden, opaque);
    for (const file of manifest.files) {
      if (files.has(file.path) || hidden.has(file.path) || upperDirs.has(file.path)) continue;
      if (!visibleDir(parentOf(file.path))) continue;
      files.set(file.path, {
        mode: file.mode,
        size: file.size,
        executable: hasExecBit(file.mode),
        ...(file.sha256 !== undefined && { sha256: file.sha256 }),
        ...(file.program !== undefined && { program: file.program }),
      });
    }
    // What this layer hides applies to the layers below it only, so it is added after.
    for (const file of manifest.files) hidden.add(file.path);
    for (const special of manifest.specials) {
      if (special.kind === "dir") upperDirs.add(special.path);
      else hidden.add(special.path);
    }
    for (const path of manifest.whiteouts) hidden.add(path);
    for (const dir of manifest.opaqueDirs) opaque.add(dir);
  }
  const sorted = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { layers: layers.map((l) => l.identity), files: new Map(sorted) };
}

/**
 * Whether the entries of a lower layer's directory are visible: no ancestor-or-self of it
 * is hidden, and none is opaque. Memoized per directory for one layer's pass, because
 * the sets only change between layers.
 */
function memoizedVisibility(hidden: Set<string>, opaque: Set<string>): (dir: string) => boolean {
  if (hidden.size === 0 && opaque.size === 0) return () => true;
  const memo = new Map<string, boolean>();
  const visible = (dir: string): boolean => {
    const known = memo.get(dir);
    if (known !== undefined) return known;
    let result: boolean;
    if (opaque.has(dir) || hidden.has(dir)) result = false;
    else result = dir === "/" ? true : visible(parentOf(dir));
    memo.set(dir, result);
    return result;
  };
  return visible;
}
