// The `driftguard agent` flags every end-to-end test, benchmark and the demo pass: the test
// bed's containerd, a mode and a state dir, then whatever the caller adds.
import type { PolicyMode } from "../../src/domain/verdict";
import type { ContainerdTestBed } from "./ContainerdTestBed";

export interface BedAgentOptions {
  mode: PolicyMode;
  stateDir: string;
  /** containerd's socket as the agent sees it; default the bed's. */
  address?: string;
}

export function bedAgentArgs(
  bed: Pick<ContainerdTestBed, "address" | "root" | "namespace">,
  o: BedAgentOptions,
  ...extra: string[]
): string[] {
  // prettier-ignore
  return [
    "--containerd-address", o.address ?? bed.address, "--containerd-root", bed.root, "--namespaces", bed.namespace,
    "--mode", o.mode, "--state-dir", o.stateDir, ...extra,
  ];
}
