// Image references as Kubernetes users write them ("nginx:1.27") and as containerd stores
// them ("docker.io/library/nginx:1.27"): both are normalized the way Docker does, then an
// image selector entry (glob, sha256:<hex>, repo@sha256:<hex>) is matched.
import { globMatches, hasGlob } from "./glob";

export interface ImageRef {
  /** domain/path, e.g. docker.io/library/nginx. */
  repository: string;
  tag?: string;
  /** "sha256:<hex>". */
  digest?: string;
}

export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** Splits and normalizes a reference; globs pass through untouched. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: normalizeRepository(rest), tag, digest };
}

function normalizeRepository(name: string): string {
  const slash = name.indexOf("/");
  const first = slash < 0 ? name : name.slice(0, slash);
  // A glob in the first component could be a registry or a Docker Hub name: leave it.
  if (hasGlob(first)) return name;
  const isDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost");
  if (isDomain) return first === "index.docker.io" ? "docker.io" + name.slice(slash) : name;
  return slash < 0 ? `docker.io/library/${name}` : `docker.io/${name}`;
}

/** Does an `images` selector entry match this container's image? */
export function imageMatches(pattern: string, image: string, imageDigest?: string): boolean {
  const ref = parseImageRef(image);
  const digests = new Set([imageDigest, ref.digest].filter((d): d is string => !!d));
  if (DIGEST_PATTERN.test(pattern)) return digests.has(pattern);
  const wanted = parseImageRef(pattern);
  if (wanted.digest !== undefined) return digests.has(wanted.digest) && globMatches(wanted.repository, ref.repository);
  if (wanted.tag !== undefined) {
    return ref.tag !== undefined && globMatches(`${wanted.repository}:${wanted.tag}`, `${ref.repository}:${ref.tag}`);
  }
  // No tag in the pattern: every tag and digest of the repository.
  return globMatches(wanted.repository, ref.repository);
}
