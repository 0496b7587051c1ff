import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";

import { directoryIdentity, layersFromMounts, RootfsError } from "../../../src/runtime/rootfs";

const S = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots";

describe("layersFromMounts", () => {
  it("maps an overlay mount: lowerdir top first, upperdir", () => {
    const layers = layersFromMounts([
      {
        type: "overlay",
        source: "overlay",
        options: ["index=off", `workdir=${S}/9/work`, `upperdir=${S}/9/fs`, `lowerdir=${S}/3/fs:${S}/2/fs:${S}/1/fs`],
      },
    ]);
    assert.deepEqual(layers, { upperDir: `${S}/9/fs`, lowerDirs: [`${S}/3/fs`, `${S}/2/fs`, `${S}/1/fs`] });
  });

  it("maps a read-only overlay (a view of several layers) without upperdir", () => {
    const layers = layersFromMounts([
      { type: "overlay", source: "overlay", options: [`lowerdir=${S}/2/fs:${S}/1/fs`] },
    ]);
    assert.deepEqual(layers, { upperDir: "", lowerDirs: [`${S}/2/fs`, `${S}/1/fs`] });
  });

  it("maps a read-only bind as a single layer and a read-write bind as the writable layer", () => {
    assert.deepEqual(layersFromMounts([{ type: "bind", source: `${S}/1/fs`, options: ["ro", "rbind"] }]), {
      upperDir: "",
      lowerDirs: [`${S}/1/fs`],
    });
    assert.deepEqual(layersFromMounts([{ type: "bind", source: `${S}/4/fs`, options: ["rw", "rbind"] }]), {
      upperDir: `${S}/4/fs`,
      lowerDirs: [],
    });
  });

  const unsupported: [string, Parameters<typeof layersFromMounts>[0], RegExp][] = [
    ["no mount", [], /expected one snapshot mount, got 0/],
    [
      "two mounts",
      [
        { type: "bind", source: "/a", options: [] },
        { type: "bind", source: "/b", options: [] },
      ],
      /got 2/,
    ],
    [
      "overlay without lowerdir",
      [{ type: "overlay", source: "overlay", options: [`upperdir=${S}/9/fs`] }],
      /without lowerdir/,
    ],
    ["bind without source", [{ type: "bind", source: "", options: ["ro"] }], /without source/],
    [
      "another snapshotter",
      [{ type: "btrfs", source: "/dev/x", options: [] }],
      /unsupported snapshot mount type "btrfs"/,
    ],
  ];
  for (const [name, mounts, message] of unsupported) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => layersFromMounts(mounts),
        (err: unknown) => err instanceof RootfsError && message.test(err.message),
      );
    });
  }
});

describe("directoryIdentity", () => {
  it("is stable for one directory and differs between directories", () => {
    const a = fs.mkdtempSync(`${os.tmpdir()}/dg-id-`);
    const b = fs.mkdtempSync(`${os.tmpdir()}/dg-id-`);
    try {
      assert.equal(directoryIdentity(a), directoryIdentity(a));
      assert.notEqual(directoryIdentity(a), directoryIdentity(b));
      const st = fs.statSync(a, { bigint: true });
      assert.equal(directoryIdentity(a), `dir:${st.dev}:${st.ino}:${st.ctimeNs}:${a}`);
    } finally {
      fs.rmSync(a, { recursive: true });
      fs.rmSync(b, { recursive: true });
    }
  });

  it("falls back to the path for a directory it cannot see", () => {
    assert.equal(directoryIdentity("/nonexistent/dg/layer"), "dir:/nonexistent/dg/layer");
  });
});
