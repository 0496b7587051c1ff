// Variants of test/testbed/ociImage.ts archives for archive tests: recompressed layers,
// multi-platform indexes, docker save layouts, corrupt blobs.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

import { buildOciImage, busyboxLayer, tarDirectory, type BuiltImage, type LayerEntry } from "../../testbed/ociImage";
import { sha256 } from "./fixtures";

/** busybox, an app layer (script, ELF without exec bit, FIFO), a patch layer (whiteouts, opaque /etc). */
export function threeLayerImage(workDir: string, name = "test/three:1"): BuiltImage {
  const app: LayerEntry[] = [
    { kind: "dir", path: "app" },
    { kind: "file", path: "app/run", content: "#!/bin/sh\nexec /bin/busybox sh\n", mode: 0o755 },
    {
      kind: "file",
      path: "app/lib.so",
      content: Buffer.concat([Buffer.from("\x7fELF"), Buffer.alloc(300)]),
      mode: 0o644,
    },
    { kind: "file", path: "etc/app.conf", content: "x=1\n" },
    { kind: "fifo", path: "app/pipe" },
  ];
  const patch: LayerEntry[] = [
    { kind: "whiteout", path: "app/lib.so" },
    { kind: "whiteout", path: "bin/ls" },
    { kind: "opaque", path: "etc" },
    { kind: "file", path: "etc/hosts", content: "127.0.0.1 localhost\n" },
    { kind: "symlink", path: "app/escape", target: "../../../../etc/shadow" },
  ];
  return buildOciImage(workDir, name, [busyboxLayer(), app, patch]);
}

interface Layout {
  index: { manifests: { digest: string; size: number; mediaType?: string; platform?: object; annotations?: object }[] };
  manifest: { layers: { digest: string; size: number; mediaType: string }[]; config: { digest: string } };
}

function blobFile(layoutDir: string, digest: string): string {
  return path.join(layoutDir, "blobs", "sha256", digest.slice(7));
}

function writeBlob(layoutDir: string, data: Buffer): { digest: string; size: number } {
  const digest = "sha256:" + sha256(data);
  fs.writeFileSync(blobFile(layoutDir, digest), data);
  return { digest, size: data.length };
}

function loadLayout(image: BuiltImage, into: string): { dir: string; layout: Layout } {
  const dir = path.join(
    into,
    `layout-${path.basename(path.dirname(image.archive))}-${Math.random().toString(36).slice(2)}`,
  );
  fs.cpSync(image.layoutDir, dir, { recursive: true });
  const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8"));
  const manifest = JSON.parse(fs.readFileSync(blobFile(dir, index.manifests[0].digest), "utf8"));
  return { dir, layout: { index, manifest } };
}

function saveLayout(dir: string, layout: Layout): string {
  const m = writeBlob(dir, Buffer.from(JSON.stringify(layout.manifest)));
  layout.index.manifests[0] = { ...layout.index.manifests[0], ...m };
  fs.writeFileSync(path.join(dir, "index.json"), JSON.stringify(layout.index));
  const archive = `${dir}.tar`;
  tarDirectory(dir, archive);
  return archive;
}

/** The same image with every layer blob compressed by `compress` (media type adjusted). */
export function recompressed(
  image: BuiltImage,
  into: string,
  kind: "gzip" | "zstd",
  compress: (b: Buffer) => Buffer,
): string {
  const { dir, layout } = loadLayout(image, into);
  layout.manifest.layers = layout.manifest.layers.map((layer) => {
    const data = compress(fs.readFileSync(blobFile(dir, layer.digest)));
    return { mediaType: `application/vnd.oci.image.layer.v1.tar+${kind}`, ...writeBlob(dir, data) };
  });
  return saveLayout(dir, layout);
}

export const gzip = (b: Buffer): Buffer => zlib.gzipSync(b);

/** A layer blob whose content no longer matches its digest (one byte flipped). */
export function corruptedLayer(image: BuiltImage, into: string): string {
  const { dir, layout } = loadLayout(image, into);
  const file = blobFile(dir, layout.manifest.layers[0].digest);
  const data = fs.readFileSync(file);
  // Inside a file's content (etc/passwd of busyboxLayer): headers and their checksums stay valid.
  const at = data.indexOf("root:x:0:0");
  if (at < 0) throw new Error("corruptedLayer needs busyboxLayer() as the lowest layer");
  data[at] = 0x52;
  fs.writeFileSync(file, data);
  return saveLayout(dir, layout);
}

/** index.json → image index listing a bogus arm64 manifest first, then the real amd64 one. */
export function multiPlatform(image: BuiltImage, into: string): string {
  const { dir, layout } = loadLayout(image, into);
  const real = layout.index.manifests[0];
  const bogus = writeBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [] })));
  const attestation = writeBlob(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [] })));
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const other = arch === "amd64" ? "arm64" : "amd64";
  const nested = writeBlob(
    dir,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.index.v1+json",
        manifests: [
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            ...bogus,
            platform: { os: "linux", architecture: other },
          },
          {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            ...attestation,
            platform: { os: "unknown", architecture: "unknown" },
          },
          {
            mediaType: real.mediaType,
            digest: real.digest,
            size: real.size,
            platform: { os: "linux", architecture: arch },
          },
        ],
      }),
    ),
  );
  fs.writeFileSync(
    path.join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", ...nested, annotations: real.annotations }],
    }),
  );
  const archive = `${dir}.tar`;
  tarDirectory(dir, archive);
  return archive;
}

/** A legacy `docker save` archive: manifest.json, <id>/layer.tar, config with diff_ids. */
export function dockerSave(image: BuiltImage, into: string): string {
  const dir = path.join(into, `docker-${Math.random().toString(36).slice(2)}`);
  fs.mkdirSync(dir);
  const layers = image.layerTars.map((tar, i) => {
    const id = sha256(`layer${i}`);
    fs.mkdirSync(path.join(dir, id));
    fs.copyFileSync(tar, path.join(dir, id, "layer.tar"));
    return `${id}/layer.tar`;
  });
  const config = JSON.stringify({ rootfs: { type: "layers", diff_ids: image.layerDigests } });
  const configName = `${sha256(config)}.json`;
  fs.writeFileSync(path.join(dir, configName), config);
  fs.writeFileSync(
    path.join(dir, "manifest.json"),
    JSON.stringify([{ Config: configName, RepoTags: [image.name], Layers: layers }]),
  );
  const archive = `${dir}.tar`;
  execFileSync("tar", ["-C", dir, "-cf", archive, "."]);
  return archive;
}
