// The streaming merge (src/baseline/mergeLayers.ts) against the set-based merge it replaced,
// kept here as the oracle, on random layers whose names sort differently in plain string
// order and in tree order ("a-b" and "a.b" fall between "a" and "a/x"); and the layer walk
// emitting such names in tree order, through the whole builder.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { BaselineBuilder } from "../../../src/baseline/BaselineBuilder";
import { mergeLayers } from "../../../src/baseline/mergeLayers";
import { compareTreeOrder } from "../../../src/baseline/treeOrder";
import type { ImageFileEntry, LayerManifest } from "../../../src/baseline/types";
import { rootLogger } from "../../../src/log/logger";
import { TempDirs, sha256, writeFile } from "./fixtures";

const NAMES = ["a", "a-b", "a.b", "a0", "b", "B", "é"];

function parentOf(p: string): string {
  const slash = p.lastIndexOf("/");
  return slash <= 0 ? "/" : p.slice(0, slash);
}

/** The merge as it was before the streams: top layer first, with sets of hidden paths. */
function referenceMerge(layers: LayerManifest[]): Map<string, string> {
  const files = new Map<string, string>();
  const hidden = new Set<string>();
  const opaque = new Set<string>();
  const upperDirs = new Set<string>();
  const visible = (dir: string): boolean =>
    !opaque.has(dir) && !hidden.has(dir) && (dir === "/" || visible(parentOf(dir)));
  for (let i = layers.length - 1; i >= 0; i--) {
    const m = layers[i];
    for (const f of m.files) {
      if (files.has(f.path) || hidden.has(f.path) || upperDirs.has(f.path) || !visible(parentOf(f.path))) continue;
      files.set(f.path, f.sha256!);
    }
    for (const f of m.files) hidden.add(f.path);
    for (const s of m.specials) (s.kind === "dir" ? upperDirs : hidden).add(s.path);
    for (const w of m.whiteouts) hidden.add(w);
    for (const d of m.opaqueDirs) opaque.add(d);
  }
  return files;
}

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random but well-formed layer: a tree of dirs, files, symlinks, whiteouts and opaque dirs. */
function randomLayer(rand: () => number, tag: number): LayerManifest {
  const m: LayerManifest = {
    version: 1,
    source: `L${tag}`,
    files: [],
    specials: [],
    whiteouts: [],
    opaqueDirs: [],
    stats: { entries: 0, manifestBytes: 0, programs: 0, hashedBytes: 0, oversized: 0 },
  };
  const fill = (dir: string, depth: number): void => {
    for (const name of NAMES) {
      const p = dir === "/" ? `/${name}` : `${dir}/${name}`;
      const roll = rand();
      if (roll < 0.25 && depth < 3) {
        m.specials.push({ path: p, kind: "dir" });
        if (rand() < 0.2) m.opaqueDirs.push(p);
        fill(p, depth + 1);
      } else if (roll < 0.5) {
        m.files.push({ path: p, mode: 0o100755, size: 1, sha256: sha256(`${tag}${p}`) });
        if (rand() < 0.1) m.whiteouts.push(p); // a tar layer may delete and re-add a path
      } else if (roll < 0.55) m.specials.push({ path: p, kind: "symlink" });
      else if (roll < 0.65) m.whiteouts.push(p);
    }
  };
  fill("/", 0);
  return m;
}

describe("the streaming merge", () => {
  it("agrees with the set-based merge on 300 random images, in tree order", async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rand = prng(seed);
      const layers = Array.from({ length: 1 + Math.floor(rand() * 4) }, (_, i) => randomLayer(rand, i));
      const merged = await mergeLayers(layers.map((manifest, i) => ({ identity: `L${i}`, manifest })));
      const paths = [...merged.files.keys()];
      assert.deepEqual(paths, [...paths].sort(compareTreeOrder), `seed ${seed}: not in tree order`);
      const got = new Map([...merged.files].map(([p, e]) => [p, e.sha256!]));
      const want = referenceMerge(layers);
      assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()), `seed ${seed}`);
    }
  });
});

describe("the layer walk's tree order, through the builder", () => {
  const temp = new TempDirs();
  afterEach(() => temp.cleanup());

  it("merges names that sort between a directory and its entries", async () => {
    const work = temp.make("order");
    const lower = path.join(work, "lower");
    const upper = path.join(work, "upper");
    for (const p of ["a/x", "a/y", "a-b/z", "a.b", "a0/w", "b/v"]) writeFile(lower, p, p);
    // Upper: deletes a-b (".wh." sorts before every name here), hides a's lower content
    // (opaque marker), adds a/new, replaces a.b.
    writeFile(upper, ".wh.a-b", "");
    writeFile(upper, "a/.wh..wh..opq", "");
    writeFile(upper, "a/new", "new");
    writeFile(upper, "a.b", "replaced");
    fs.chmodSync(path.join(upper, "a.b"), 0o755);
    const builder = new BaselineBuilder({ logger: rootLogger().child({}, { level: "silent" }) });
    const { baseline } = await builder.image([
      { dir: lower, identity: "lower" },
      { dir: upper, identity: "upper" },
    ]);
    const files = [...baseline.files].map(([p, e]: [string, ImageFileEntry]) => `${p}${e.executable ? "*" : ""}`);
    assert.deepEqual(files, ["/a/new", "/a.b*", "/a0/w", "/b/v"]);
  });
});
