// What a containerd test bed can leave on the host when a test dies half-way: shims,
// container processes, mounts, cgroups. Everything is found by something unique to the
// bed (its socket path, its namespace, its temp dir) and processes are killed by pid.
import * as fs from "node:fs";
import * as path from "node:path";

import { runCommand } from "./processes";

/** Pids of containerd shims serving the containerd at `address` (they get it as -address). */
export function shimPidsFor(address: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    const i = argv.indexOf("-address");
    if (argv[0]?.includes("containerd-shim") && i >= 0 && argv[i + 1] === address) pids.push(Number(entry));
  }
  return pids;
}

// runc puts a container started by ctr into cgroup /<namespace>/<id> (v1 controllers or v2).
const CGROUP_ROOTS = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"];

/** Pids of every process in the cgroups of the namespace's containers. */
export function namespaceProcessPids(namespace: string): number[] {
  const pids = new Set<number>();
  for (const root of CGROUP_ROOTS) {
    const nsDir = path.join(root, namespace);
    if (!fs.existsSync(nsDir)) continue;
    for (const id of fs.readdirSync(nsDir)) {
      const procs = path.join(nsDir, id, "cgroup.procs");
      if (!fs.existsSync(procs)) continue;
      for (const pid of fs.readFileSync(procs, "utf8").split("\n").filter(Boolean)) pids.add(Number(pid));
    }
  }
  return [...pids];
}

/** Removes the cgroup dirs runc left for the namespace (cgroup dirs go with rmdir); busy ones stay. */
export function removeNamespaceCgroups(namespace: string): void {
  const nsDirs = fs
    .readdirSync("/sys/fs/cgroup")
    .map((controller) => path.join("/sys/fs/cgroup", controller, namespace))
    .concat(path.join("/sys/fs/cgroup", namespace));
  for (const nsDir of nsDirs) {
    if (!fs.existsSync(nsDir)) continue;
    for (const entry of fs.readdirSync(nsDir, { withFileTypes: true })) {
      if (entry.isDirectory()) tryRmdir(path.join(nsDir, entry.name));
    }
    tryRmdir(nsDir);
  }
}

function tryRmdir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // still has processes: leave it
  }
}

/** Lazily unmounts every mount point under dir, deepest first (from /proc/self/mountinfo). */
export async function unmountUnder(dir: string): Promise<void> {
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const points = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => unescape(line.split(" ")[4] ?? ""))
    .filter((p) => p.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const point of new Set(points)) {
    const result = await runCommand("umount", ["-l", point], 10_000);
    if (result.code !== 0) throw new Error(`umount -l ${point}: ${result.stderr.trim()}`);
  }
}
