import * as assert from "node:assert/strict";

import { mergeLayers } from "../../../src/baseline/mergeLayers";
import type { LayerManifest, LayerSpecial } from "../../../src/baseline/types";
import { sha256 } from "./fixtures";

interface LayerSpec {
  /** "path" or "path=content-tag" (the tag becomes the sha256, to tell layers apart). */
  files?: string[];
  dirs?: string[];
  symlinks?: string[];
  fifos?: string[];
  whiteouts?: string[];
  opaque?: string[];
}

/** Content tags stand for digests: "1" → sha256("1"), and back for the expectations. */
const tagOf = new Map<string, string>();
function digestOf(tag: string): string {
  const digest = sha256(tag);
  tagOf.set(digest, tag);
  return digest;
}

function layer(spec: LayerSpec): LayerManifest {
  const special = (kind: LayerSpecial["kind"]) => (p: string) => ({ path: p, kind });
  return {
    version: 1,
    source: "test",
    files: (spec.files ?? []).map((f) => {
      const [path, tag] = f.split("=");
      return { path, mode: 0o100755, size: 1, sha256: digestOf(tag ?? "l") };
    }),
    specials: [
      ...(spec.dirs ?? []).map(special("dir")),
      ...(spec.symlinks ?? []).map(special("symlink")),
      ...(spec.fifos ?? []).map(special("fifo")),
    ],
    whiteouts: spec.whiteouts ?? [],
    opaqueDirs: spec.opaque ?? [],
    stats: { entries: 0, manifestBytes: 0, programs: 0, hashedBytes: 0, oversized: 0 },
  };
}

/** Merged files as "path=tag", in tree order. */
async function merged(layers: LayerSpec[]): Promise<string[]> {
  const baseline = await mergeLayers(layers.map((l, i) => ({ identity: `L${i}`, manifest: layer(l) })));
  return [...baseline.files].map(([path, entry]) => `${path}=${tagOf.get(entry.sha256 ?? "")}`);
}

const cases: { name: string; layers: LayerSpec[]; expect: string[] }[] = [
  { name: "single layer", layers: [{ files: ["/b=1", "/a=1"] }], expect: ["/a=1", "/b=1"] },
  {
    name: "upper file replaces lower file",
    layers: [{ files: ["/bin/ls=1"] }, { files: ["/bin/ls=2"] }],
    expect: ["/bin/ls=2"],
  },
  {
    name: "dirs merge with lower dirs",
    layers: [
      { dirs: ["/etc"], files: ["/etc/a=1"] },
      { dirs: ["/etc"], files: ["/etc/b=2"] },
    ],
    expect: ["/etc/a=1", "/etc/b=2"],
  },
  { name: "whiteout removes a file", layers: [{ files: ["/a=1", "/b=1"] }, { whiteouts: ["/a"] }], expect: ["/b=1"] },
  {
    name: "whiteout removes a directory and everything under it, not its siblings",
    layers: [
      { files: ["/usr/bin/x=1", "/usr/bin/sub/y=1", "/usr/binary=1", "/usr/lib/z=1"] },
      { whiteouts: ["/usr/bin"] },
    ],
    expect: ["/usr/binary=1", "/usr/lib/z=1"],
  },
  {
    name: "whiteout applies to lower layers only: the same layer may recreate the path",
    layers: [{ files: ["/opt/old=1"] }, { whiteouts: ["/opt"], dirs: ["/opt"], files: ["/opt/new=2"] }],
    expect: ["/opt/new=2"],
  },
  {
    name: "opaque dir hides lower content, keeps its own layer's entries",
    layers: [
      { files: ["/var/a=1", "/var/sub/b=1", "/varx=1"] },
      { dirs: ["/var"], opaque: ["/var"], files: ["/var/c=2"] },
    ],
    expect: ["/var/c=2", "/varx=1"],
  },
  {
    name: "opaque dir does not hide layers above it",
    layers: [{ files: ["/var/a=1"] }, { dirs: ["/var"], opaque: ["/var"] }, { files: ["/var/b=3"] }],
    expect: ["/var/b=3"],
  },
  {
    name: "upper directory replaces a lower file at the same path",
    layers: [{ files: ["/x=1"] }, { dirs: ["/x"], files: ["/x/y=2"] }],
    expect: ["/x/y=2"],
  },
  {
    name: "upper file replaces a lower directory and its subtree",
    layers: [{ files: ["/x/y=1", "/x/z/w=1"] }, { files: ["/x=2"] }],
    expect: ["/x=2"],
  },
  {
    name: "upper symlink replaces a lower file and a lower directory",
    layers: [{ files: ["/f=1", "/d/g=1"] }, { symlinks: ["/f", "/d"] }],
    expect: [],
  },
  { name: "upper FIFO replaces a lower file", layers: [{ files: ["/p=1"] }, { fifos: ["/p"] }], expect: [] },
  {
    name: "deletions skip layers: a whiteout in the top layer reaches the bottom",
    layers: [{ files: ["/a/b=1"] }, { files: ["/c=2"] }, { whiteouts: ["/a"] }],
    expect: ["/c=2"],
  },
  {
    name: "a file re-added above a whiteout is visible again",
    layers: [{ files: ["/a=1"] }, { whiteouts: ["/a"] }, { files: ["/a=3"] }],
    expect: ["/a=3"],
  },
  {
    name: "whiteout of the root's child does not hide similarly named paths",
    layers: [{ files: ["/lib/a=1", "/lib64/b=1"] }, { whiteouts: ["/lib"] }],
    expect: ["/lib64/b=1"],
  },
  {
    name: "nested opaque and whiteout together",
    layers: [
      { files: ["/a/b/c=1", "/a/d=1"] },
      { dirs: ["/a/b"], opaque: ["/a/b"], files: ["/a/b/e=2"] },
      { whiteouts: ["/a/d"] },
    ],
    expect: ["/a/b/e=2"],
  },
];

describe("mergeLayers", () => {
  for (const c of cases) {
    it(c.name, async () => assert.deepEqual(await merged(c.layers), c.expect));
  }

  it("keeps layer identities lower first and flags executables", async () => {
    const lower = layer({ files: ["/bin/sh=1"] });
    const upper: LayerManifest = { ...layer({}), files: [{ path: "/etc/motd", mode: 0o100644, size: 3 }] };
    const baseline = await mergeLayers([
      { identity: "low", manifest: lower },
      { identity: "up", manifest: upper },
    ]);
    assert.deepEqual(baseline.layers, ["low", "up"]);
    assert.deepEqual(baseline.files.get("/bin/sh"), { mode: 0o100755, size: 1, executable: true, sha256: sha256("1") });
    assert.deepEqual(baseline.files.get("/etc/motd"), { mode: 0o100644, size: 3, executable: false });
  });
});
