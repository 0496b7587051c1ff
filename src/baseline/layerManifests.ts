// A layer manifest as one in-memory object (LayerManifest) and as a record stream
// (StoredLayer), both ways: the object for tests, the command line and hand-made layers;
// the stream for everything the builder keeps or merges.
import { hasExecBit } from "./programMagic";
import type { ManifestRecord } from "./manifestRecords";
import { MemoryLayerWriter, type StoredLayer } from "./manifestStore";
import { compareTreeOrder } from "./treeOrder";
import type { LayerFile, LayerManifest, LayerSpecial } from "./types";

export function manifestOfStored(stored: StoredLayer): LayerManifest {
  const manifest: LayerManifest = {
    version: 1,
    source: stored.source,
    files: [],
    specials: [],
    whiteouts: [],
    opaqueDirs: [],
    stats: stored.stats,
  };
  const reader = stored.open();
  try {
    for (let r = reader.next(); r !== undefined; r = reader.next()) {
      if (r.kind === "file") {
        const file: LayerFile = { path: r.path, mode: r.mode, size: r.size };
        if (r.sha256 !== undefined) file.sha256 = r.sha256;
        if (r.program !== undefined) file.program = r.program;
        manifest.files.push(file);
      } else if (r.kind === "whiteout") manifest.whiteouts.push(r.path);
      else if (r.kind === "opaque") manifest.opaqueDirs.push(r.path);
      else manifest.specials.push({ path: r.path, kind: r.kind });
    }
  } finally {
    reader.close();
  }
  return manifest;
}

/** A hand-made or decoded manifest as a stored layer (in memory), records in tree order. */
export function storedOfManifest(manifest: LayerManifest): StoredLayer {
  const records: ManifestRecord[] = [
    ...manifest.files.map((f: LayerFile): ManifestRecord => ({ kind: "file", ...f })),
    ...manifest.specials.map((s: LayerSpecial): ManifestRecord => ({ kind: s.kind, path: s.path })),
    ...manifest.whiteouts.map((path): ManifestRecord => ({ kind: "whiteout", path })),
    ...manifest.opaqueDirs.map((path): ManifestRecord => ({ kind: "opaque", path })),
  ];
  records.sort((a, b) => compareTreeOrder(a.path, b.path));
  const writer = new MemoryLayerWriter(manifest.source);
  for (const record of records) writer.write(record);
  return writer.finish(manifest.stats);
}

/** A file the stats count as a program: hashed, sniffed ELF / script, or executable. */
export function isProgram(file: { sha256?: string; program?: string; mode: number }): boolean {
  return file.sha256 !== undefined || file.program !== undefined || hasExecBit(file.mode);
}
