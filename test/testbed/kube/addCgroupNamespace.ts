// Run by KubeNode's runc wrapper before `runc create`, with the bundle's config.json:
// adds the private cgroup namespace containerd's CRI plugin gives every non-privileged
// container on a cgroup v2 node (its check is cgroups.Mode() == Unified, so on this
// hybrid machine it adds none). Sandboxes and privileged containers are left as they are,
// as containerd leaves them.
import * as fs from "node:fs";

interface Spec {
  annotations?: Record<string, string>;
  linux?: { namespaces?: { type: string; path?: string }[]; maskedPaths?: string[] };
}

/** The spec with a cgroup namespace added where containerd would add one; null: unchanged. */
export function withCgroupNamespace(spec: Spec): Spec | null {
  const appContainer = spec.annotations?.["io.kubernetes.cri.container-type"] === "container";
  // Privileged containers are the ones the CRI plugin leaves unmasked.
  const privileged = (spec.linux?.maskedPaths ?? []).length === 0;
  const namespaces = spec.linux?.namespaces ?? [];
  if (!appContainer || privileged || namespaces.some((n) => n.type === "cgroup")) return null;
  return { ...spec, linux: { ...spec.linux, namespaces: [...namespaces, { type: "cgroup" }] } };
}

if (require.main === module) {
  const file = process.argv[2];
  const changed = withCgroupNamespace(JSON.parse(fs.readFileSync(file, "utf8")) as Spec);
  if (changed) fs.writeFileSync(file, JSON.stringify(changed));
}
