// /proc/<pid>/mountinfo, parsed. A container controls its mount points' names, so every
// field is treated as hostile: octal escapes decoded, malformed lines skipped.
import * as fs from "node:fs";

export interface MountEntry {
  mountId: number;
  /** "major:minor" of the filesystem. */
  device: string;
  /** Path of the mount's root inside its filesystem. */
  root: string;
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    const separator = fields.indexOf("-", 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    entries.push({
      mountId: Number(fields[0]),
      device: fields[2],
      root: unescape(fields[3]),
      mountPoint: unescape(fields[4]),
      options: fields[5].split(","),
      fsType: fields[separator + 1],
      source: unescape(fields[separator + 2]),
      superOptions: (fields[separator + 3] ?? "").split(","),
    });
  }
  return entries;
}

export function readMountinfo(file: string): MountEntry[] {
  return parseMountinfo(fs.readFileSync(file, "utf8"));
}

/** st_dev as glibc's makedev() encodes it (what fs.stat reports), from "major:minor". */
export function deviceNumber(device: string): number {
  const [major, minor] = device.split(":").map(Number);
  // Arithmetic, not bit operators: JS bit operators truncate to 32 bits.
  return (
    (minor % 256) + (major % 4096) * 2 ** 8 + Math.floor(minor / 256) * 2 ** 20 + Math.floor(major / 4096) * 2 ** 44
  );
}

/** The entry whose mount point contains path, deepest (last mounted) first. */
export function mountContaining(entries: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of entries) {
    const mp = entry.mountPoint;
    const inside = mp === "/" || path === mp || path.startsWith(mp.endsWith("/") ? mp : mp + "/");
    // Later entries shadow earlier ones at the same mount point.
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = entry;
  }
  return best;
}
