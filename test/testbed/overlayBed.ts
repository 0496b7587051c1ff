// A hand-made overlay mount that looks like a containerd snapshot layout:
//   <root>/snapshots/1/fs (image layer), <root>/snapshots/2/fs (writable layer),
//   <root>/merged (the overlay a "container" sees), with a tmpfs at /data and a bind of a
//   host dir (<root>/hostdir) at /hostvol inside it.
// For exercising the exec guard on real fanotify and real overlayfs without containerd.
// The "container" process runs in its own mount namespace whose root is the overlay
// (pivot_root, as runc does) and in a cgroup of its own, so it executes only files of the
// bed and the kernel reports its paths as a container's.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { scratchDir } from "./ociImage";

export interface OverlayBed {
  root: string;
  snapshotRoot: string;
  lowerDir: string;
  upperDir: string;
  merged: string;
  /** Host dir bind-mounted at /hostvol in the bed. */
  hostDir: string;
  /** st_dev of the tmpfs at /data. */
  tmpfsDev: number;
  /** A cgroup v2 group; processes moved into it look like a container's. */
  cgroupDir: string;
  cgroupLeaf: string;
  remove(): void;
}

const CGROUP2 = fs.existsSync("/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";

export function createOverlayBed(populateLower: (lowerDir: string) => void): OverlayBed {
  const scratch = scratchDir("overlay");
  const root = scratch.dir;
  const snapshotRoot = path.join(root, "snapshots");
  const lowerDir = path.join(snapshotRoot, "1", "fs");
  const upperDir = path.join(snapshotRoot, "2", "fs");
  const workDir = path.join(snapshotRoot, "2", "work");
  const merged = path.join(root, "merged");
  const hostDir = path.join(root, "hostdir");
  for (const dir of [lowerDir, upperDir, workDir, merged, hostDir]) fs.mkdirSync(dir, { recursive: true });
  populateLower(lowerDir);
  for (const dir of ["data", "hostvol", ".old-root"]) fs.mkdirSync(path.join(lowerDir, dir), { recursive: true });
  const cgroupLeaf = `driftguard-test-${process.pid}-${Date.now()}`;
  const cgroupDir = path.join(CGROUP2, cgroupLeaf);
  const mounted: string[] = [];
  const remove = () => {
    for (const target of mounted.reverse()) spawnSync("umount", ["-l", target]);
    mounted.length = 0;
    if (fs.existsSync(cgroupDir)) {
      // Processes still inside keep the group busy; tests wait for their children.
      try {
        fs.rmdirSync(cgroupDir);
      } catch {
        /* left for the OS: an empty cgroup costs nothing */
      }
    }
    scratch.remove();
  };
  try {
    execFileSync("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lowerDir},upperdir=${upperDir},workdir=${workDir}`,
      merged,
    ]);
    mounted.push(merged);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", path.join(merged, "data")]);
    mounted.push(path.join(merged, "data"));
    execFileSync("mount", ["--bind", hostDir, path.join(merged, "hostvol")]);
    mounted.push(path.join(merged, "hostvol"));
    fs.mkdirSync(cgroupDir);
  } catch (error) {
    remove();
    throw error;
  }
  const tmpfsDev = fs.statSync(path.join(merged, "data")).dev;
  return { root, snapshotRoot, lowerDir, upperDir, merged, hostDir, tmpfsDev, cgroupDir, cgroupLeaf, remove };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * argv that runs a busybox shell script as a "container" process: the host's shell makes a
 * new mount namespace, pivots its root to the overlay, joins the bed's cgroup (from here
 * on it counts as the container), and only then execs the image's /bin/sh.
 */
export function bedArgv(bed: OverlayBed, script: string): string[] {
  const enter = [
    "mount --make-rprivate /",
    `cd ${bed.merged}`,
    "pivot_root . .old-root",
    `echo $$ > /.old-root${bed.cgroupDir}/cgroup.procs`,
    // The image's sh gets the script as its $0 and evals it once the old root is gone.
    `exec /bin/sh -c 'umount -l /.old-root && cd / && eval "$0"' "$0"`,
  ].join(" && ");
  return ["unshare", "-m", "/bin/sh", "-c", enter, script];
}

/** Runs a script in the bed (see bedArgv) and waits for it. */
export function runInBed(bed: OverlayBed, script: string, timeoutMs = 20000): RunResult {
  const started = Date.now();
  const [command, ...args] = bedArgv(bed, script);
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: timeoutMs,
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - started };
}

/** Lower-layer content: busybox with its applets as symlinks, as in a real busybox image. */
export function busyboxLower(lowerDir: string): void {
  const bin = path.join(lowerDir, "bin");
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync("/bin/busybox", path.join(bin, "busybox"));
  fs.chmodSync(path.join(bin, "busybox"), 0o755);
  for (const applet of execFileSync("/bin/busybox", ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean)) {
    if (applet !== "busybox") fs.symlinkSync("busybox", path.join(bin, applet));
  }
  fs.mkdirSync(path.join(lowerDir, "etc"), { recursive: true });
  fs.writeFileSync(path.join(lowerDir, "etc", "notes.txt"), "not a program\n");
  fs.mkdirSync(path.join(lowerDir, "tmp"), { recursive: true, mode: 0o1777 });
}
