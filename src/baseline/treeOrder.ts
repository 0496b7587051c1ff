// The order layer manifests are stored and merged in: depth first, a directory before its
// entries, siblings by name (UTF-16 code units). Plain string order would put "/a-b"
// between "/a" and "/a/x"; here a directory's subtree is contiguous, so layers can be
// merged as sorted streams with one stack of directories instead of sets of every path.

/** Negative when a comes first in tree order: '/' sorts before every other character. */
export function compareTreeOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca === 47) return -1;
    if (cb === 47) return 1;
    return ca - cb;
  }
  return a.length - b.length;
}

/** True when `dir` is a proper ancestor of `path` ("/" is everything's). */
export function isStrictAncestor(dir: string, path: string): boolean {
  if (dir === "/") return path !== "/";
  return path.length > dir.length && path.charCodeAt(dir.length) === 47 && path.startsWith(dir);
}
