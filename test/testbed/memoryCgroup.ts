// A memory cgroup for a child process, as the DaemonSet's `limits.memory` gives the agent:
// past the limit the kernel OOM-kills it. A child of this process's own memory cgroup
// (cgroup v1 "memory" controller, or cgroup v2 where "memory" is enabled), removed by
// remove() once the process in it exited.
import * as fs from "node:fs";
import * as path from "node:path";

export interface MemoryCgroup {
  dir: string;
  /** argv prefix that runs a command inside the cgroup (for AgentProcess.start's wrapper). */
  wrapper: string[];
  /** Highest usage so far in bytes (page cache and kernel memory included), if the kernel says. */
  peakBytes(): number | undefined;
  /** Times the kernel hit the limit (v1 failcnt, v2 "max" events). */
  limitHits(): number;
  remove(): void;
}

let made = 0;

function ownCgroup(controller: string): string | undefined {
  for (const line of fs.readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, controllers, cgroup] = line.split(":");
    if (cgroup !== undefined && controllers.split(",").includes(controller)) return cgroup;
  }
  return undefined;
}

/** A new memory cgroup limited to `limitBytes`, or undefined where none can be made here. */
export function createMemoryCgroup(limitBytes: number): MemoryCgroup | undefined {
  const name = `driftguard-test-${process.pid}-${++made}`;
  const v1 = ownCgroup("memory");
  if (v1 !== undefined && fs.existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
    const dir = path.join("/sys/fs/cgroup/memory", v1, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(limitBytes));
    const read = (file: string) => Number(fs.readFileSync(path.join(dir, file), "utf8"));
    return cgroup(
      dir,
      () => read("memory.max_usage_in_bytes"),
      () => read("memory.failcnt"),
    );
  }
  const unified = fs.existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  const v2 = ownCgroup("");
  const parent = v2 !== undefined ? path.join(unified, v2) : undefined;
  if (!parent || !fs.readFileSync(path.join(parent, "cgroup.subtree_control"), "utf8").includes("memory")) {
    return undefined;
  }
  const dir = path.join(parent, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "memory.max"), String(limitBytes));
  const peak = () =>
    fs.existsSync(path.join(dir, "memory.peak"))
      ? Number(fs.readFileSync(path.join(dir, "memory.peak"), "utf8"))
      : undefined;
  const hits = () => Number(/^max (\d+)/m.exec(fs.readFileSync(path.join(dir, "memory.events"), "utf8"))?.[1] ?? 0);
  return cgroup(dir, peak, hits);
}

function cgroup(dir: string, peakBytes: () => number | undefined, limitHits: () => number): MemoryCgroup {
  return {
    dir,
    wrapper: ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir],
    peakBytes,
    limitHits,
    remove: () => {
      for (let i = 0; i < 50; i++) {
        try {
          fs.rmdirSync(dir);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100); // its last process is exiting
        }
      }
      fs.rmdirSync(dir);
    },
  };
}
