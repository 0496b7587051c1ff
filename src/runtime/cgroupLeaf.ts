// The last component of a container's cgroup path, which the native side looks for in
// /proc/<pid>/cgroup to tell which container a process belongs to.
//   cgroupfs driver:  "/kubepods/besteffort/pod<uid>/<id>"             → "<id>"
//   systemd driver:   "kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>"
//                                                                      → "cri-containerd-<id>.scope"
//   ctr:              "/default/<id>"                                  → "<id>"
export function cgroupLeaf(cgroupsPath: string, containerId: string): string {
  if (cgroupsPath === "") return containerId;
  const parts = cgroupsPath.split(":");
  if (parts.length === 3 && !cgroupsPath.startsWith("/")) return `${parts[1]}-${parts[2]}.scope`;
  const components = cgroupsPath.split("/").filter(Boolean);
  return components[components.length - 1] ?? containerId;
}

/** cgroup path fragments that mark a process as being in some container. */
export function containerCgroupMarkers(namespaces: string[]): string[] {
  return ["kubepods", "cri-containerd", ...namespaces.map((ns) => `/${ns}/`)];
}
