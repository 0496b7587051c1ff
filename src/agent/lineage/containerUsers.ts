// User names from a container's own /etc/passwd, read beneath its root without following
// a symlink (a container can make /etc a link to the agent's files) and at most 64 KiB.
// Cached per root for a while: a finding burst in one container reads the file once.
import { escapeControls } from "./procProcess";

/** Reads a file beneath a root safely; null when absent or refused (nativeBinding().readFileBeneath). */
export type ReadBeneath = (root: string, path: string, maxBytes: number) => Buffer | null;

const MAX_PASSWD_BYTES = 64 * 1024;
const MAX_NAME = 64;
const CACHE_ENTRIES = 256;
const CACHE_MS = 30_000;

export class ContainerUsers {
  private readonly cache = new Map<string, { names: Map<number, string>; readMs: number }>();

  constructor(
    private readonly readBeneath: ReadBeneath,
    private readonly now: () => number = Date.now,
  ) {}

  /** The name of uid under root (e.g. /proc/<init pid>/root), "" when unknown. */
  nameOf(root: string, uid: number): string {
    if (uid < 0) return "";
    let entry = this.cache.get(root);
    if (!entry || this.now() - entry.readMs > CACHE_MS) {
      entry = { names: parsePasswd(this.readBeneath(root, "/etc/passwd", MAX_PASSWD_BYTES)), readMs: this.now() };
      this.cache.delete(root);
      if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(root, entry);
    }
    return entry.names.get(uid) ?? "";
  }
}

/** uid → name of passwd lines "name:password:uid:gid:...": the first line of a uid wins, as getpwuid's does. */
export function parsePasswd(bytes: Buffer | null): Map<number, string> {
  const names = new Map<number, string>();
  if (!bytes) return names;
  for (const line of bytes.toString("utf8").split("\n")) {
    const fields = line.split(":");
    if (fields.length < 4 || !fields[0] || !/^\d{1,10}$/.test(fields[2])) continue;
    const uid = Number(fields[2]);
    if (!names.has(uid)) names.set(uid, escapeControls(fields[0]).slice(0, MAX_NAME));
  }
  return names;
}
