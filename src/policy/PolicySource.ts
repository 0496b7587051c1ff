// Where the agent gets the policy for a container. The agent asks once per attach and
// again whenever the source says the policies changed.
import type { PolicyMode } from "../domain/verdict";
import type { NativePolicy } from "../native/binding";
import type { ContainerRecord } from "../runtime/types";
import type { PosturePolicy } from "./posturePolicy";

export interface PolicySource {
  policyFor(container: ContainerRecord): NativePolicy;
  /** How the container's posture is judged; sources without it judge at baseline, without exceptions. */
  postureFor?(container: ContainerRecord): PosturePolicy;
  /** Called with no arguments whenever policyFor may answer differently than before. */
  onChange(listener: () => void): void;
  /** Loads the policies (before any container attaches); sources without files need none. */
  start?(): Promise<unknown>;
  close?(): Promise<void>;
}

/** One mode for every container, no exceptions: the agent's --mode flag. */
export class FixedModePolicy implements PolicySource {
  constructor(private readonly mode: PolicyMode) {}

  policyFor(): NativePolicy {
    return { name: "default", mode: this.mode, allowPaths: [], allowDigests: [] };
  }

  onChange(): void {
    // Never changes.
  }
}
