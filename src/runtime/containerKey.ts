// The key of a container across the agent (native tables, attacher, sensor, findings):
// runtime ids are unique per namespace only.
export function containerKey(namespace: string, id: string): string {
  return `${namespace}/${id}`;
}

/** A key's namespace and id (runtime ids and namespaces hold no "/"); a key without one is an id. */
export function splitContainerKey(key: string): { namespace: string; id: string } {
  const slash = key.indexOf("/");
  return slash < 0 ? { namespace: "", id: key } : { namespace: key.slice(0, slash), id: key.slice(slash + 1) };
}
