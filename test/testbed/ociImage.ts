// Builds OCI image archives offline for tests: each layer is a directory tree described
// in code, tarred with the system tar (deterministic flags), assembled into an OCI layout
// (oci-layout, index.json with io.containerd.image.name, blobs) and tarred again, ready
// for `ctr images import` or `driftguard baseline`.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** One entry of a layer. Paths are relative to the image root, without a leading '/'. */
export type LayerEntry =
  | { kind: "file"; path: string; content: Buffer | string; mode?: number }
  | { kind: "dir"; path: string; mode?: number }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "whiteout"; path: string } // deletes path from lower layers
  | { kind: "opaque"; path: string } // hides the lower layers' content of directory path
  | { kind: "fifo"; path: string };

export interface BuiltImage {
  name: string;
  archive: string; // OCI archive (tar of the layout)
  layoutDir: string;
  layerTars: string[]; // lower first
  layerDigests: string[]; // "sha256:..." of each layer tar
  manifestDigest: string;
}

const BUSYBOX = "/bin/busybox";

/** The applets busybox-static provides, as symlinks in bin/ pointing to busybox. */
export function busyboxLayer(): LayerEntry[] {
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  const entries: LayerEntry[] = [
    ...["bin", "tmp", "etc", "proc", "sys", "dev", "run", "root"].map((p) => ({ kind: "dir" as const, path: p })),
    { kind: "file", path: "bin/busybox", content: fs.readFileSync(BUSYBOX), mode: 0o755 },
    { kind: "file", path: "etc/passwd", content: "root:x:0:0:root:/root:/bin/sh\n", mode: 0o644 },
  ];
  for (const applet of applets) {
    if (applet !== "busybox") entries.push({ kind: "symlink", path: `bin/${applet}`, target: "busybox" });
  }
  return entries;
}

function writeLayerDir(dir: string, entries: LayerEntry[]): void {
  for (const entry of entries) {
    const full = path.join(dir, entry.path);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    switch (entry.kind) {
      case "dir":
        fs.mkdirSync(full, { recursive: true, mode: entry.mode ?? 0o755 });
        break;
      case "file":
        fs.writeFileSync(full, entry.content);
        fs.chmodSync(full, entry.mode ?? 0o644);
        break;
      case "symlink":
        fs.symlinkSync(entry.target, full);
        break;
      case "whiteout":
        fs.writeFileSync(path.join(path.dirname(full), `.wh.${path.basename(full)}`), "");
        break;
      case "opaque":
        fs.mkdirSync(full, { recursive: true });
        fs.writeFileSync(path.join(full, ".wh..wh..opq"), "");
        break;
      case "fifo":
        execFileSync("mkfifo", [full]);
        break;
    }
  }
}

function sha256File(file: string): string {
  return "sha256:" + createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/** Tars a directory deterministically (sorted, mtime 0, root owner). */
export function tarDirectory(dir: string, out: string): void {
  execFileSync("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--format=pax",
    "--pax-option=delete=atime,delete=ctime",
    "-C",
    dir,
    "-cf",
    out,
    ".",
  ]);
}

/** Builds an OCI archive of the given layers (lower first) under workDir; cmd: the image's CMD. */
export function buildOciImage(
  workDir: string,
  name: string,
  layers: LayerEntry[][],
  cmd: string[] = ["/bin/sh"],
): BuiltImage {
  const root = fs.mkdtempSync(path.join(workDir, "image-"));
  const layoutDir = path.join(root, "layout");
  const blobs = path.join(layoutDir, "blobs", "sha256");
  fs.mkdirSync(blobs, { recursive: true });
  const layerTars: string[] = [];
  const layerDigests: string[] = [];
  layers.forEach((entries, i) => {
    const dir = path.join(root, `layer${i}`);
    fs.mkdirSync(dir);
    writeLayerDir(dir, entries);
    const tar = path.join(root, `layer${i}.tar`);
    tarDirectory(dir, tar);
    const digest = sha256File(tar);
    fs.copyFileSync(tar, path.join(blobs, digest.slice(7)));
    layerTars.push(tar);
    layerDigests.push(digest);
  });
  const writeBlob = (json: object): { digest: string; size: number } => {
    const data = Buffer.from(JSON.stringify(json));
    const digest = "sha256:" + createHash("sha256").update(data).digest("hex");
    fs.writeFileSync(path.join(blobs, digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const config = writeBlob({
    architecture: "amd64",
    os: "linux",
    config: { Cmd: cmd },
    rootfs: { type: "layers", diff_ids: layerDigests },
  });
  const manifest = writeBlob({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: layerDigests.map((digest, i) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest,
      size: fs.statSync(layerTars[i]).size,
    })),
  });
  fs.writeFileSync(path.join(layoutDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  fs.writeFileSync(
    path.join(layoutDir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": name },
        },
      ],
    }),
  );
  const archive = path.join(root, "image.tar");
  tarDirectory(layoutDir, archive);
  return { name, archive, layoutDir, layerTars, layerDigests, manifestDigest: manifest.digest };
}

/** A scratch directory under the OS temp dir, removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `driftguard-${prefix}-`));
  return {
    dir,
    remove: () => {
      // A SIGKILLed agent run on the host leaves its canary tmpfs (src/agent/ExecCanary.ts).
      for (const point of fs.readFileSync("/proc/self/mounts", "utf8").split("\n")) {
        const mountPoint = point.split(" ")[1] ?? "";
        if (mountPoint.startsWith(`${dir}/`) && point.startsWith("driftguard-canary ")) {
          execFileSync("umount", ["-l", mountPoint]);
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
