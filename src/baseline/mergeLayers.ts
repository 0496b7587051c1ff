// Merges layer manifests (lower first) into the image the container sees, with overlayfs
// semantics: an upper entry at a path replaces the lower one (a directory merges with a
// lower directory, anything else hides the lower path and everything below it), a
// whiteout deletes the path and its subtree from the layers below, an opaque directory
// hides what the layers below had inside it but keeps its own layer's entries.
//
// Every layer is a record stream in tree order (./treeOrder.ts), so the layers are merged
// like sorted files: one path at a time across all layers, with a stack holding, for each
// directory on the current path, the lowest layer whose entries below it are still
// visible. Memory is that stack and one record per layer; the merged files go to the
// caller as they are found.
import { hasExecBit } from "./programMagic";
import { storedOfManifest } from "./layerManifests";
import type { ManifestRecord } from "./manifestRecords";
import type { RecordReader } from "./manifestStore";
import { compareTreeOrder, isStrictAncestor } from "./treeOrder";
import type { ImageBaseline, ImageFileEntry, LayerManifest } from "./types";

/** Records merged between two yields to the event loop. */
const RECORDS_PER_SLICE = 8192;

interface Head {
  layer: number;
  record: ManifestRecord;
}

/**
 * Merges the layers' record streams (lower first) and calls onFile for each regular file of
 * the merged image, in tree order. Closes every reader.
 */
export async function mergeLayerRecords(
  readers: RecordReader[],
  onFile: (path: string, entry: ImageFileEntry) => void,
): Promise<void> {
  const heap = new HeadHeap();
  try {
    readers.forEach((reader, layer) => {
      const record = reader.next();
      if (record) heap.push({ layer, record });
    });
    const stack: { path: string; block: number }[] = [];
    const group: Head[] = [];
    let merged = 0;
    while (heap.size > 0) {
      const path = heap.peek().record.path;
      group.length = 0;
      while (heap.size > 0 && heap.peek().record.path === path) {
        const head = heap.pop();
        group.push({ ...head });
        const next = readers[head.layer].next();
        if (next) heap.push({ layer: head.layer, record: next });
      }
      while (stack.length > 0 && !isStrictAncestor(stack[stack.length - 1].path, path)) stack.pop();
      const block = stack.length > 0 ? stack[stack.length - 1].block : 0;
      const { visible, hidesBelow } = judgePath(group, block);
      if (visible) onFile(path, entryOf(visible));
      stack.push({ path, block: hidesBelow });
      if (++merged % RECORDS_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    for (const reader of readers) reader.close();
  }
}

/**
 * One path across the layers. Only layers at or above `block` count (what is below is
 * hidden by an ancestor). The topmost entry wins (an entry beats its own layer's whiteout,
 * which applies to lower layers only); it is a visible file or nothing. Below this path,
 * layers under the topmost whiteout, non-directory or opaque directory here are hidden.
 */
function judgePath(group: Head[], block: number): { visible?: ManifestRecord; hidesBelow: number } {
  let top: Head | undefined;
  let hidesBelow = block;
  for (const head of group) {
    if (head.layer < block) continue;
    const { kind } = head.record;
    if (kind !== "dir") hidesBelow = Math.max(hidesBelow, head.layer);
    if (kind === "opaque") continue; // hides the layers below inside it, not at its path
    const better = !top || head.layer > top.layer || (head.layer === top.layer && top.record.kind === "whiteout");
    if (better) top = head;
  }
  return { visible: top?.record.kind === "file" ? top.record : undefined, hidesBelow };
}

function entryOf(record: ManifestRecord): ImageFileEntry {
  if (record.kind !== "file") throw new Error("not a file record");
  return {
    mode: record.mode,
    size: record.size,
    executable: hasExecBit(record.mode),
    ...(record.sha256 !== undefined && { sha256: record.sha256 }),
    ...(record.program !== undefined && { program: record.program }),
  };
}

/** The merged image of manifests held in memory (tests, hand-made layers). */
export async function mergeLayers(layers: { identity: string; manifest: LayerManifest }[]): Promise<ImageBaseline> {
  const files = new Map<string, ImageFileEntry>();
  await mergeLayerRecords(
    layers.map((l) => storedOfManifest(l.manifest).open()),
    (path, entry) => files.set(path, entry),
  );
  return { layers: layers.map((l) => l.identity), files };
}

/** A min-heap of the layers' current records in tree order (ties: lower layer first). */
class HeadHeap {
  private readonly items: Head[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Head {
    return this.items[0];
  }

  push(head: Head): void {
    const items = this.items;
    items.push(head);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): Head {
    const items = this.items;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < items.length && before(items[l], items[m])) m = l;
        if (r < items.length && before(items[r], items[m])) m = r;
        if (m === i) break;
        [items[i], items[m]] = [items[m], items[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Head, b: Head): boolean {
  const order = compareTreeOrder(a.record.path, b.record.path);
  return order < 0 || (order === 0 && a.layer < b.layer);
}
