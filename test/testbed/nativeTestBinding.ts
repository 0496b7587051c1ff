// The test build of the addon (build/Release/driftguard_test.node, native/testing): the
// production contract plus functions no production code may call. The shipped addon does
// not have them (test/unit/native/testBuild.test.ts).
import type { DriftReason } from "../../src/domain/driftReason";
import type { Verdict } from "../../src/domain/verdict";
import type { NativeBinding, NativePolicy } from "../../src/native/binding";
import { loadAddon } from "../../src/native/loadAddon";

export interface JudgeCandidate {
  where: "writable_layer" | "volume" | "host" | "no_path" | "image_layer";
  policy: NativePolicy;
  containerPath: string;
  imageFile?: { sha256: string; executable: boolean; size: number };
  imageHasOtherPath?: boolean;
  /** No baseline: nothing on the writable layer is provable. */
  imageUnknown?: boolean;
  /** Size of the executed file. */
  size?: number;
  digest?: string;
  /** The digest was needed and could not be proven. */
  digestUnavailable?: boolean;
  /** The image program calling execve, as callerImageProgram proves it. */
  callerProgram?: string;
}

/** Every name the addon gives its enums, in enum order (test/unit/domain binds them to src/domain). */
export interface NativeVocabulary {
  /** The exec guard's reasons, "none" (a plain allow) first. */
  guardReasons: string[];
  /** The eBPF sensor's reasons. */
  sensorReasons: string[];
  /** "allowed" (a decision only, never a finding) and the finding verdicts. */
  verdicts: string[];
  /** What happened to a drift exec. */
  actions: string[];
  modes: string[];
}

export interface NativeTestBinding extends NativeBinding {
  /** The pure drift decision, for table-driven tests. */
  judge(candidate: JudgeCandidate): {
    verdict: "allowed" | Verdict;
    reason: DriftReason | "none";
    /** The digest could change the verdict: it waits for a proven one. */
    needsDigest: boolean;
    /** Only an allowed parent could let it run: the caller is looked up. */
    needsCaller: boolean;
  };
  vocabulary(): NativeVocabulary;
  /**
   * The mechanism of this addon's *Beneath functions (hashFileBeneath, DirStream); a mode
   * forces it, so that the fallback runs on kernels with openat2. Only this addon's: the
   * shipped one links its own copy of the code and keeps probing.
   */
  beneathMode(mode?: BeneathMode): BeneathMode;
  /**
   * A forked child's cgroup read through the guard's ProcessHandle, the child killed between
   * its cgroup id and its cgroup path: still running, a zombie, or reaped.
   */
  cgroupOfEndingProcess(end: "running" | "zombie" | "reaped"): {
    id: number;
    unsupported: boolean;
    /** The path read is known to be this process's. */
    pathIsItsOwn: boolean;
    path: string;
    /** Its path read before anything happened to it. */
    expectedPath: string;
  };
}

export type BeneathMode = "openat2" | "component-walk";

let loaded: NativeTestBinding | undefined;

export function nativeTestBinding(): NativeTestBinding {
  loaded ??= loadAddon<NativeTestBinding>("driftguard_test.node");
  return loaded;
}
