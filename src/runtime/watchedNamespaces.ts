// The containerd namespaces a watcher follows, checked against containerd's own name
// pattern, which also keeps them safe to put into an event filter expression.
const NAMESPACE_PATTERN = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;

export function checkedNamespaces(namespaces: string[]): Set<string> {
  if (namespaces.length === 0) throw new Error("RuntimeWatcher: namespaces must name at least one namespace");
  const bad = namespaces.filter((ns) => !NAMESPACE_PATTERN.test(ns));
  if (bad.length > 0) throw new Error(`RuntimeWatcher: invalid containerd namespace name(s): ${bad.join(", ")}`);
  return new Set(namespaces);
}

/** Subscribe filters: task and container events of these namespaces. */
export function eventFilters(namespaces: Iterable<string>): string[] {
  return [...namespaces].map((ns) => `namespace=="${ns}",topic~="^/(tasks|containers)/"`);
}
