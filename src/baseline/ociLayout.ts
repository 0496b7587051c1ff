// The JSON documents of an OCI image layout (index.json, image indexes, manifests) and
// of a `docker save` archive (manifest.json), reduced to what a baseline needs: the
// image's layer blobs, lower first. Pure: the caller reads and verifies the bytes.
import { BaselineError } from "./types";

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageIndexDoc {
  manifests?: Descriptor[];
}

export interface ImageManifestDoc {
  mediaType?: string;
  manifests?: Descriptor[];
  layers?: Descriptor[];
}

export interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

const INDEX_TYPES = new Set([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);
const NODE_ARCH_TO_OCI: Record<string, string> = {
  x64: "amd64",
  arm64: "arm64",
  arm: "arm",
  ia32: "386",
  ppc64: "ppc64le",
  s390x: "s390x",
};

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function checkDescriptor(value: unknown, source: string, where: string): Descriptor {
  const d = value as Descriptor;
  if (
    typeof d !== "object" ||
    d === null ||
    typeof d.digest !== "string" ||
    !Number.isSafeInteger(d.size) ||
    d.size < 0
  ) {
    throw new BaselineError("BAD_ARCHIVE", source, `${where}: not a descriptor with digest and size`);
  }
  if (!DIGEST.test(d.digest)) {
    throw new BaselineError(
      "BAD_ARCHIVE",
      source,
      `${where}: unsupported digest ${JSON.stringify(d.digest)} (sha256 only)`,
    );
  }
  return d;
}

/** True when the document a descriptor points to is an index (multi-platform) rather than a manifest. */
export function isIndex(descriptor: Descriptor, doc?: ImageManifestDoc): boolean {
  if (descriptor.mediaType && INDEX_TYPES.has(descriptor.mediaType)) return true;
  return doc !== undefined && doc.layers === undefined && Array.isArray(doc.manifests);
}

/**
 * Chooses the manifest for this node among an index's entries: the running platform's,
 * else the only one, else the first that is not an attestation. Returns undefined when
 * the index is empty.
 */
export function pickManifest(manifests: Descriptor[]): Descriptor | undefined {
  const images = manifests.filter(
    (m) => m.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest" && m.platform?.os !== "unknown",
  );
  const arch = NODE_ARCH_TO_OCI[process.arch] ?? process.arch;
  return images.find((m) => m.platform?.os === "linux" && m.platform.architecture === arch) ?? images[0];
}

export function imageNameOf(descriptor: Descriptor): string | undefined {
  return (
    descriptor.annotations?.["io.containerd.image.name"] ??
    descriptor.annotations?.["org.opencontainers.image.ref.name"]
  );
}

export function layersOf(manifest: ImageManifestDoc, source: string): Descriptor[] {
  if (!Array.isArray(manifest.layers))
    throw new BaselineError("BAD_ARCHIVE", source, "image manifest has no layers array");
  return manifest.layers.map((layer, i) => checkDescriptor(layer, source, `manifest layer ${i}`));
}

export function blobPath(digest: string): string {
  return `/blobs/sha256/${digest.slice("sha256:".length)}`;
}

/** diff_ids of an image config, lower first (uncompressed layer digests). */
export function diffIdsOf(config: unknown, source: string): string[] {
  const ids = (config as { rootfs?: { diff_ids?: unknown } } | null)?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string" && DIGEST.test(id))) {
    throw new BaselineError("BAD_ARCHIVE", source, "image config has no rootfs.diff_ids of sha256 digests");
  }
  return ids as string[];
}

export function checkDockerSave(doc: unknown, source: string): DockerSaveEntry {
  const entries = doc as DockerSaveEntry[];
  const first = Array.isArray(entries) ? entries[0] : undefined;
  if (
    !first ||
    typeof first.Config !== "string" ||
    !Array.isArray(first.Layers) ||
    !first.Layers.every((l) => typeof l === "string")
  ) {
    throw new BaselineError("BAD_ARCHIVE", source, "manifest.json is not a docker save manifest");
  }
  return first;
}
