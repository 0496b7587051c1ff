// The native exec guard started on an overlay bed (test/testbed/overlayBed.ts), attached to
// it as container "bed", with the verdicts it delivers collected: shared by the native
// guard's integration tests. Registers its own mocha hooks (one bed per describe, one guard
// per test).
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import {
  nativeBinding,
  type NativeContainer,
  type NativeExecGuard,
  type NativePolicy,
  type TablesChange,
  type VerdictRecord,
} from "../../../src/native/binding";
import { imageTableOf } from "../../testbed/imageTable";
import { bedArgv, createOverlayBed, type OverlayBed } from "../../testbed/overlayBed";

export function policy(mode: NativePolicy["mode"], extra: Partial<NativePolicy> = {}): NativePolicy {
  return { name: `test-${mode}`, mode, allowPaths: [], allowDigests: [], ...extra };
}

/**
 * The bed's container leaves; a sibling keeps its layer known (and what it silenced). The
 * bed's next process is then a new container of the same image, not attached yet.
 */
export function replaceBedBySibling(g: NativeExecGuard, bed: OverlayBed): void {
  g.apply({ removeContainers: ["bed"], ...siblingOf(bed) });
}

/** Another container of the bed's image (its own writable layer and cgroup): the layer is known. */
export function siblingOf(bed: OverlayBed): Pick<TablesChange, "putContainers" | "putImages"> {
  return {
    putContainers: [
      {
        id: "sibling",
        upperDir: path.join(bed.snapshotRoot, "99", "fs"),
        lowerDirs: [bed.lowerDir],
        cgroupLeaf: "sibling-leaf",
        imageKey: "bed-image",
        policy: policy("enforce"),
        volumes: [],
      },
    ],
    putImages: [{ key: "bed-image", table: imageTableOf(bed.lowerDir) }],
  };
}

export interface StartOptions {
  policy?: NativePolicy;
  attach?: boolean;
  deadlineMs?: number;
  hashDeadlineMs?: number;
  failMode?: "open" | "closed";
  verdictBufferLimit?: number;
  ignoreMarkLimit?: number;
  ignoreMarksStartPaused?: boolean;
}

export interface GuardHarness {
  bed(): OverlayBed;
  /** Verdicts delivered since the test started. */
  readonly verdicts: VerdictRecord[];
  start(options?: StartOptions): NativeExecGuard;
  /** Puts the bed's container (and its image) into the tables; extra overrides its fields. */
  attach(g: NativeExecGuard, p: NativePolicy, extra?: Partial<NativeContainer>): void;
  spawnInBed(script: string): {
    child: ReturnType<typeof spawn>;
    exited: Promise<number | null>;
    stdout: () => string;
  };
  /** Lets queued verdicts arrive. */
  settle(g: NativeExecGuard, ms?: number): Promise<void>;
}

export function guardHarness(
  populate: (lowerDir: string) => void,
  processIdentity: "auto" | "mount-namespace" = "auto",
): GuardHarness {
  let bed: OverlayBed | undefined;
  let guard: NativeExecGuard | undefined;
  const verdicts: VerdictRecord[] = [];
  before(() => {
    bed = createOverlayBed(populate);
  });
  after(() => {
    guard?.close();
    bed?.remove();
  });
  afterEach(() => {
    guard?.close();
    guard = undefined;
    verdicts.length = 0;
  });

  const theBed = () => bed!;
  const attach = (g: NativeExecGuard, p: NativePolicy, extra: Partial<NativeContainer> = {}) => {
    const b = theBed();
    g.apply({
      putImages: [{ key: "bed-image", table: imageTableOf(b.lowerDir) }],
      putContainers: [
        {
          id: "bed",
          upperDir: b.upperDir,
          lowerDirs: [b.lowerDir],
          cgroupLeaf: b.cgroupLeaf,
          imageKey: "bed-image",
          rootDev: fs.statSync(b.merged).dev,
          policy: p,
          volumes: [
            { source: "", dev: b.tmpfsDev, destination: "/data" },
            { source: b.hostDir, dev: 0, destination: "/hostvol" },
          ],
          ...extra,
        },
      ],
    });
  };

  return {
    bed: theBed,
    verdicts,
    attach,
    start(options: StartOptions = {}) {
      const b = theBed();
      const { ExecGuard } = nativeBinding();
      const g = new ExecGuard(
        {
          deadlineMs: options.deadlineMs ?? 2000,
          hashDeadlineMs: options.hashDeadlineMs,
          failMode: options.failMode ?? "open",
          verdictBufferLimit: options.verdictBufferLimit,
          ignoreMarkLimit: options.ignoreMarkLimit,
          ignoreMarksStartPaused: options.ignoreMarksStartPaused,
          processIdentity,
        },
        (batch) => verdicts.push(...batch),
      );
      g.markFilesystem(b.snapshotRoot, true);
      g.markFilesystem(path.join(b.merged, "data"), false, b.tmpfsDev);
      g.apply({
        snapshotRoots: [b.snapshotRoot],
        // Only this bed's processes look like a container being started: never another run's.
        containerCgroupMarkers: [b.cgroupLeaf],
        hostMountNamespace: fs.statSync("/proc/self/ns/mnt").ino,
      });
      if (options.attach !== false) attach(g, options.policy ?? policy("enforce"));
      g.start();
      guard = g;
      return g;
    },
    spawnInBed(script: string) {
      const [command, ...args] = bedArgv(theBed(), script);
      const child = spawn(command, args, { env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      return { child, exited, stdout: () => stdout };
    },
    async settle(g: NativeExecGuard, ms = 50) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      g.flushVerdicts();
    },
  };
}
