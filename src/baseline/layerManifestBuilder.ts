// Collects one layer's entries from a tar stream, where entries come in any order and a
// later one at the same path replaces an earlier one (as an unpacker overwriting it
// would): counts them against the image budget as they come, reads the whiteout
// conventions, and writes the layer's records in tree order at the end. Memory is that
// of the entries, which the budget bounds. (Directory walks stream their records; see
// ./walkLayerDir.ts.)
import type { LayerMeter } from "./budget";
import { baseNameOf, joinImagePath, parentOf } from "./imagePath";
import { isProgram } from "./layerManifests";
import type { ManifestRecord } from "./manifestRecords";
import type { RecordSink } from "./manifestStore";
import { compareTreeOrder } from "./treeOrder";
import type { LayerFile, LayerSpecial, LayerStats } from "./types";

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
  hashedBytes = 0;
  /** Programs recorded without a hash because they exceed maxHashBytes. */
  oversized = 0;

  constructor(
    readonly source: string,
    private readonly meter: LayerMeter,
  ) {}

  /** Counts one entry of the input (its name's bytes) before anything else is done with it. */
  countEntry(nameBytes: number): void {
    this.meter.count(nameBytes);
  }

  get entryCount(): number {
    return this.meter.entries;
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

  /** The layer's records, in tree order, into sink; returns what was counted. */
  writeTo(sink: RecordSink): LayerStats {
    const records: ManifestRecord[] = [];
    let programs = 0;
    for (const entry of this.entries.values()) {
      if ("kind" in entry) records.push({ kind: entry.kind, path: entry.path });
      else {
        records.push({ kind: "file", ...entry });
        if (isProgram(entry)) programs++;
      }
    }
    for (const path of this.whiteouts) records.push({ kind: "whiteout", path });
    for (const path of this.opaqueDirs) records.push({ kind: "opaque", path });
    records.sort((a, b) => compareTreeOrder(a.path, b.path));
    for (const record of records) sink.write(record);
    return {
      entries: this.meter.entries,
      manifestBytes: this.meter.manifestBytes,
      programs,
      hashedBytes: this.hashedBytes,
      oversized: this.oversized,
    };
  }
}
