// The key of a container across the agent (native tables, attacher, sensor, findings):
// runtime ids are unique per namespace only.
export function containerKey(namespace: string, id: string): string {
  return `${namespace}/${id}`;
}
