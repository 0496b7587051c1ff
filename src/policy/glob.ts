// Globs of selectors (namespaces, containers, images), matched in JS: `*` matches within
// one path component, `**` across components, `?` one character; nothing else is special.
// Allow and deny paths are not matched here: native code applies them with fnmatch(3).

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*" && glob[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (c === "*") {
      source += "[^/]*";
    } else if (c === "?") {
      source += "[^/]";
    } else {
      source += c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
    }
  }
  re = new RegExp(`^${source}$`, "s");
  if (cache.size > 4096) cache.clear(); // policies hold few globs; bound it anyway
  cache.set(glob, re);
  return re;
}

export function globMatches(glob: string, text: string): boolean {
  return globToRegExp(glob).test(text);
}

export function hasGlob(text: string): boolean {
  return /[*?]/.test(text);
}

/** Escapes fnmatch(3) metacharacters, so that a literal path matches only itself. */
export function escapeFnmatch(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, "\\$&");
}
