// Paths inside an image are absolute and normalised ("/bin/ls"). Archive member names are
// not: they may be "./bin/ls", "bin//ls", "/bin/ls" or hostile ("../../etc/passwd").
import { BaselineError } from "./types";

export function joinImagePath(parent: string, name: string): string {
  return parent === "/" ? `/${name}` : `${parent}/${name}`;
}

export function parentOf(imagePath: string): string {
  const slash = imagePath.lastIndexOf("/");
  return slash <= 0 ? "/" : imagePath.slice(0, slash);
}

export function baseNameOf(imagePath: string): string {
  return imagePath.slice(imagePath.lastIndexOf("/") + 1);
}

/** Components of a normalised path: "/" has 0, "/bin/ls" has 2. */
export function depthOf(imagePath: string): number {
  if (imagePath === "/") return 0;
  let depth = 0;
  for (let i = 0; i < imagePath.length; i++) if (imagePath.charCodeAt(i) === 47) depth++;
  return depth;
}

/**
 * Normalises an archive member name to an absolute image path. A leading "/" is read as
 * the image root (as containerd does); ".." that would climb above the root is refused
 * rather than clamped, because no honest layer contains it and clamping would make the
 * baseline disagree with whatever a less careful unpacker wrote.
 */
export function normalizeArchivePath(raw: string, source: string): string {
  if (raw.includes("\0"))
    throw new BaselineError("UNSAFE_PATH", source, `member name contains a NUL byte: ${JSON.stringify(raw)}`);
  const parts: string[] = [];
  for (const part of raw.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) {
        throw new BaselineError(
          "UNSAFE_PATH",
          source,
          `member ${JSON.stringify(raw)} escapes the layer root with ".."`,
        );
      }
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return "/" + parts.join("/");
}
