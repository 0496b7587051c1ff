// Boots Debian 12's stock cloud kernel (extracted from its .deb, never installed) in
// qemu-system-x86_64 with a minimal initramfs: busybox-static, glibc's loader and libc,
// the static guest test program (the real sensor, linked with libbpf statically), the
// test programs and libraries, and overlay.ko. The guest's /init (guest/init.sh) runs the
// test and powers off; its serial console is the result. TCG by default: the guest boots
// and runs in ~25 s, and this machine kind's /dev/kvm (nested PVM) stops the 6.1 kernel with
// "KVM internal error ... emulation failure" on cmpxchg16b. DRIFTGUARD_GUEST_ACCEL=kvm to try.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { scratchDir } from "../../testbed/ociImage";
import { buildTestProgram } from "./sensorHelpers";

const REPO = path.resolve(__dirname, "..", "..", "..", "..");
const GUEST_DIR = path.join(REPO, "test", "integration", "bpf", "guest");
const KERNEL_CACHE = process.env.DRIFTGUARD_GUEST_KERNEL_DIR ?? "/var/tmp/driftguard-guest-kernel";
const SENSOR_SOURCES = ["BpfSensor", "BpfSensorLoad", "ProgramProbe", "RingReader", "SensorMaps", "SensorTypes"].map(
  (f) => path.join(REPO, "native", "bpf", `${f}.cc`),
);

export interface GuestResult {
  /** The guest's serial console. */
  output: string;
  /** Booting, testing and powering off. */
  ms: number;
  release: string;
}

/** Debian 12's stock cloud kernels: 6.1 (the default) and 6.12 (backports-era meta-package). */
export const GUEST_KERNELS = ["linux-image-cloud-amd64", "linux-image-6.12-cloud-amd64"] as const;
export type GuestKernelPackage = (typeof GUEST_KERNELS)[number];

/** vmlinuz and overlay.ko of a stock cloud kernel, downloaded once into the cache. */
export function guestKernel(meta: GuestKernelPackage): { release: string; vmlinuz: string; overlay: string } {
  const release = execFileSync("bash", [path.join(GUEST_DIR, "fetch-kernel.sh"), KERNEL_CACHE, meta], {
    encoding: "utf8",
  }).trim();
  const dir = path.join(KERNEL_CACHE, release);
  return { release, vmlinuz: path.join(dir, "vmlinuz"), overlay: path.join(dir, "overlay.ko") };
}

function realCopy(from: string, to: string, mode?: number): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(fs.realpathSync(from), to);
  if (mode !== undefined) fs.chmodSync(to, mode);
}

/** The static guest program: guest/lsmguest.cc with the sensor and libbpf linked in. */
function buildLsmGuest(out: string): void {
  execFileSync(
    "g++",
    [
      "-static",
      "-std=c++20",
      "-O2",
      `-I${path.join(REPO, "native")}`,
      `-I${path.join(REPO, "build", "bpf")}`,
      "-o",
      out,
      path.join(GUEST_DIR, "lsmguest.cc"),
      path.join(GUEST_DIR, "guestBench.cc"),
      ...SENSOR_SOURCES,
      path.join(REPO, "native", "util", "ProcInfo.cc"),
      path.join(REPO, "native", "util", "BoundedProcRead.cc"),
      "-l:libbpf.a",
      "-l:libelf.a",
      "-l:libz.a",
      "-pthread",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
}

function buildInitramfs(stage: string, overlayKo: string, out: string): void {
  const tools = path.join(stage, "..", "tools");
  fs.mkdirSync(tools, { recursive: true });
  const library = (tag: string, file: string) =>
    execFileSync("gcc", [
      "-shared",
      "-fPIC",
      "-O2",
      `-DLIBRARY_TAG=${tag}`,
      "-o",
      file,
      path.join(REPO, "test", "integration", "bpf", "native", "preload.c"),
    ]);
  for (const dir of [
    "bin",
    "proc",
    "sys",
    "dev",
    "tmp",
    "layers",
    "merged",
    "opt",
    "image/bin",
    "image/lib",
    "image/tmp",
    "image/data",
  ]) {
    fs.mkdirSync(path.join(stage, dir), { recursive: true });
  }
  realCopy("/bin/busybox", path.join(stage, "bin", "busybox"), 0o755);
  realCopy(path.join(GUEST_DIR, "init.sh"), path.join(stage, "init"), 0o755);
  realCopy(overlayKo, path.join(stage, "overlay.ko"));
  realCopy("/lib64/ld-linux-x86-64.so.2", path.join(stage, "lib64", "ld-linux-x86-64.so.2"), 0o755);
  realCopy("/lib/x86_64-linux-gnu/libc.so.6", path.join(stage, "lib", "x86_64-linux-gnu", "libc.so.6"), 0o755);
  buildLsmGuest(path.join(stage, "lsmguest"));
  const fileless = buildTestProgram("fileless", tools);
  realCopy(fileless, path.join(stage, "fileless"), 0o755);
  realCopy(fileless, path.join(stage, "image", "bin", "fileless"), 0o755);
  realCopy(buildTestProgram("mapexec", tools), path.join(stage, "image", "bin", "mapexec"), 0o755);
  const hello = buildTestProgram("hello", tools, []);
  realCopy(hello, path.join(stage, "image", "bin", "hello"), 0o755);
  library("evil", path.join(stage, "opt", "evil.so"));
  library("good", path.join(stage, "image", "lib", "good.so"));
  // good3..good7: image libraries the write-tracking checks copy up, each in its own way.
  for (const tag of ["good2", "good3", "good4", "good5", "good6", "good7"]) {
    library(tag, path.join(stage, "image", "lib", `${tag}.so`));
  }
  execFileSync("sh", ["-c", `cd '${stage}' && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > '${out}'`]);
}

export interface PreparedGuest {
  release: string;
  vmlinuz: string;
  initrd: string;
  remove(): void;
}

/** Fetches the kernel and builds the initramfs. */
export function prepareLsmGuest(meta: GuestKernelPackage): PreparedGuest {
  const kernel = guestKernel(meta);
  const scratch = scratchDir("lsm-guest");
  try {
    const initrd = path.join(scratch.dir, "initrd.gz");
    buildInitramfs(path.join(scratch.dir, "root"), kernel.overlay, initrd);
    return { release: kernel.release, vmlinuz: kernel.vmlinuz, initrd, remove: () => scratch.remove() };
  } catch (error) {
    scratch.remove();
    throw error;
  }
}

/** Builds everything, boots the guest and returns its console once it powered off. */
export async function runLsmGuest(meta: GuestKernelPackage, timeoutMs: number): Promise<GuestResult> {
  const guest = prepareLsmGuest(meta);
  try {
    const started = Date.now();
    const output = await boot(guest.vmlinuz, guest.initrd, timeoutMs);
    return { output, ms: Date.now() - started, release: guest.release };
  } finally {
    guest.remove();
  }
}

export function boot(vmlinuz: string, initrd: string, timeoutMs: number): Promise<string> {
  const args = [
    ...(process.env.DRIFTGUARD_GUEST_ACCEL === "kvm"
      ? ["-accel", "kvm", "-cpu", "host"]
      : ["-accel", "tcg", "-cpu", "max"]),
    "-m",
    "512",
    "-smp",
    "1",
    "-nographic",
    "-no-reboot",
    "-kernel",
    vmlinuz,
    "-initrd",
    initrd,
    "-append",
    // bpf must be among the active LSMs; Debian's default list has it, say it anyway.
    "console=ttyS0 panic=-1 quiet lsm=lockdown,capability,landlock,yama,bpf",
  ];
  return new Promise((resolve, reject) => {
    const qemu = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    qemu.stdout.on("data", (d: Buffer) => (output += d.toString()));
    qemu.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => qemu.kill("SIGKILL"), timeoutMs);
    qemu.once("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`qemu-system-x86_64: ${error.message}`));
    });
    qemu.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") output += `\n# qemu killed after ${timeoutMs} ms`;
      else if (code !== 0) output += `\n# qemu exited ${code}`;
      resolve(output);
    });
  });
}
