// daemonset/Dockerfile built for real, once per test run: base images from Debian packages
// and the npm registry's Node.js (base-images.sh), `buildah bud` of the Dockerfile as it
// is (the bases passed as build arguments), then the image as an OCI archive for
// `ctr images import`. The buildah storage is private to the run and removed with it.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { fromPackageRoot, packageRoot } from "../../../src/util/packageRoot";
import { unmountUnder } from "../hostCleanup";
import { scratchDir } from "../ociImage";

const BASES_SCRIPT = fromPackageRoot("test", "testbed", "image", "base-images.sh");
/** The image name the manifests use (daemonset/base), as the CRI plugin normalizes it. */
export const IMAGE_REPOSITORY = "docker.io/library/driftguard";
export const IMAGE_TAG = "0.1.0";
const NODE_MAJOR = "22";
const STEP_TIMEOUT_MS = 20 * 60_000;

export interface BuiltDriftguardImage {
  /** OCI archive; import it with `ctr images import --base-name IMAGE_REPOSITORY`. */
  archive: string;
  /** Wall-clock milliseconds of each step, and in total. */
  timings: { basesMs: number; buildMs: number; exportMs: number; totalMs: number };
}

let building: Promise<BuiltDriftguardImage> | undefined;
let scratch: { dir: string; remove: () => void } | undefined;

function run(command: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: packageRoot(), timeout: STEP_TIMEOUT_MS, maxBuffer: 256 << 20 },
      (error, stdout, stderr) => {
        fs.appendFileSync(logFile, `$ ${command} ${args.join(" ")}\n${stdout}${stderr}\n`);
        if (error) {
          const tail = `${stdout}${stderr}`.split("\n").slice(-25).join("\n");
          reject(
            new Error(`${command} ${args.slice(0, 6).join(" ")} failed (${error.message.split("\n")[0]}):\n${tail}`),
          );
        } else {
          resolve();
        }
      },
    );
  });
}

async function build(): Promise<BuiltDriftguardImage> {
  scratch = scratchDir("image");
  const dir = scratch.dir;
  const log = path.join(dir, "build.log");
  const storage = [
    "--root",
    path.join(dir, "storage"),
    "--runroot",
    path.join(dir, "run"),
    "--storage-driver",
    "overlay",
  ];
  const began = performance.now();
  await run("bash", [BASES_SCRIPT, storage[1], storage[3], path.join(dir, "work"), NODE_MAJOR], log);
  const basesDone = performance.now();
  // --network host: the build's apt-get and npm ci reach their registries as this machine does.
  await run(
    "buildah",
    [
      ...storage,
      "bud",
      "--network",
      "host",
      "--pull=never",
      "--build-arg",
      "BUILD_BASE=localhost/driftguard-base:build",
      "--build-arg",
      "RUNTIME_BASE=localhost/driftguard-base:runtime",
      "-f",
      "daemonset/Dockerfile",
      "--ignorefile",
      "daemonset/Dockerfile.dockerignore",
      "-t",
      `${IMAGE_REPOSITORY}:${IMAGE_TAG}`,
      ".",
    ],
    log,
  );
  const buildDone = performance.now();
  const archive = path.join(dir, "driftguard.tar");
  // Uncompressed: containerd unpacks it at once, and gzip would cost more than it saves here.
  await run(
    "buildah",
    [
      ...storage,
      "push",
      "--quiet",
      "--disable-compression",
      `${IMAGE_REPOSITORY}:${IMAGE_TAG}`,
      `oci-archive:${archive}:${IMAGE_TAG}`,
    ],
    log,
  );
  const done = performance.now();
  return {
    archive,
    timings: {
      basesMs: Math.round(basesDone - began),
      buildMs: Math.round(buildDone - basesDone),
      exportMs: Math.round(done - buildDone),
      totalMs: Math.round(done - began),
    },
  };
}

/**
 * The image, built on first use in this process. DRIFTGUARD_IMAGE_ARCHIVE names an archive
 * built before (by this module: its build.log sits beside it) to skip the build while
 * iterating on a test; CI always builds.
 */
export function driftguardImage(): Promise<BuiltDriftguardImage> {
  const prebuilt = process.env.DRIFTGUARD_IMAGE_ARCHIVE;
  if (prebuilt && !process.env.CI) {
    const timings = { basesMs: 0, buildMs: 0, exportMs: 0, totalMs: 0 };
    return Promise.resolve({ archive: prebuilt, timings });
  }
  building ??= build();
  return building;
}

/** Removes the build's storage and archive (call once, when no test needs the image any more). */
export async function removeDriftguardImage(): Promise<void> {
  if (!scratch) return;
  await building?.catch(() => undefined);
  await unmountUnder(scratch.dir);
  scratch.remove();
  scratch = undefined;
  building = undefined;
}
