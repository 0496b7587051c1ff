// Collects one layer's entries, whichever way the layer is read (directory walk or tar
// stream): counts them against maxEntries, reads the whiteout conventions, and produces
// a sorted LayerManifest. A later entry at the same path replaces an earlier one, as an
// unpacker overwriting it would.
import { tooManyEntries } from "./limits";
import { baseNameOf, joinImagePath, parentOf } from "./imagePath";
import { hasExecBit } from "./programMagic";
import type { BaselineLimits, LayerFile, LayerManifest, LayerSpecial } from "./types";

/** OCI whiteout names (also used by overlay snapshotters other than containerd's). */
const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_MARKER = ".wh..wh..opq";
/** aufs bookkeeping names (".wh..wh.plnk", ".wh..wh.aufs"): not part of the image. */
const AUFS_META_PREFIX = ".wh..wh.";

export type WhiteoutName =
  { kind: "whiteout"; path: string } | { kind: "opaque"; dir: string } | { kind: "meta" } | undefined;

/** What a ".wh." name at imagePath means, or undefined for an ordinary name. */
export function whiteoutName(imagePath: string): WhiteoutName {
  const name = baseNameOf(imagePath);
  if (!name.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (name === OPAQUE_MARKER) return { kind: "opaque", dir: parentOf(imagePath) };
  if (name.startsWith(AUFS_META_PREFIX)) return { kind: "meta" };
  return { kind: "whiteout", path: joinImagePath(parentOf(imagePath), name.slice(WHITEOUT_PREFIX.length)) };
}

export class LayerManifestBuilder {
  private readonly entries = new Map<string, LayerFile | LayerSpecial>();
  private readonly whiteouts = new Set<string>();
  private readonly opaqueDirs = new Set<string>();
  private counted = 0;
  hashedBytes = 0;
  /** Programs recorded without a hash because they exceed maxHashBytes. */
  oversized = 0;

  constructor(
    readonly source: string,
    private readonly limits: BaselineLimits,
  ) {}

  /** Counts one entry of the input before anything else is done with it. */
  countEntry(): void {
    if (++this.counted > this.limits.maxEntries) throw tooManyEntries(this.limits, this.source);
  }

  get entryCount(): number {
    return this.counted;
  }

  /** The entry at path, if this layer has recorded one (a tar hardlink's target). */
  entryAt(path: string): LayerFile | LayerSpecial | undefined {
    return this.entries.get(path);
  }

  addFile(file: LayerFile): void {
    this.entries.set(file.path, file);
  }

  addSpecial(path: string, kind: LayerSpecial["kind"]): void {
    this.entries.set(path, { path, kind });
  }

  addWhiteout(path: string): void {
    this.whiteouts.add(path);
  }

  addOpaqueDir(dir: string): void {
    this.opaqueDirs.add(dir);
  }

  /** Records a ".wh." name if it is one; false for an ordinary name. */
  addWhiteoutName(imagePath: string): boolean {
    const meaning = whiteoutName(imagePath);
    if (meaning === undefined) return false;
    if (meaning.kind === "whiteout") this.addWhiteout(meaning.path);
    else if (meaning.kind === "opaque") this.addOpaqueDir(meaning.dir);
    return true;
  }

  finish(): LayerManifest {
    const files: LayerFile[] = [];
    const specials: LayerSpecial[] = [];
    for (const entry of this.entries.values()) {
      if ("kind" in entry) specials.push(entry);
      else files.push(entry);
    }
    const byPath = (a: { path: string }, b: { path: string }): number =>
      a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
    files.sort(byPath);
    specials.sort(byPath);
    const programs = files.filter((f) => f.sha256 !== undefined || f.program !== undefined || hasExecBit(f.mode));
    return {
      version: 1,
      source: this.source,
      files,
      specials,
      whiteouts: [...this.whiteouts].sort(),
      opaqueDirs: [...this.opaqueDirs].sort(),
      stats: {
        entries: this.counted,
        programs: programs.length,
        hashedBytes: this.hashedBytes,
        oversized: this.oversized,
      },
    };
  }
}
