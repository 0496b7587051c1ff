// The agent's start-up self-test: before it marks anything, it uses each kernel facility
// the exec guard needs on the real objects it will guard, and stops with one line naming
// what is missing and what to do. Without it an agent can start half-blind: a file handle
// it may not open makes every exec "fileless", and it would refuse the node's every exec
// while its /readyz said ready.
import { errorMessage } from "../util/errorMessage";
import { hasEffectiveCapability, missingCapability, type CapabilityName } from "./capabilities";

/** The native probes (native/fs/CapabilityProbes.hh); each throws the syscall's error. */
export interface CapabilityProbes {
  probeFanotify(): void;
  probeFileHandle(dir: string): void;
}

export interface MarkedDirectory {
  /** As the node names it (shown to people). */
  hostPath: string;
  /** As the agent opens it (through /proc/<host pid>/root in a pod). */
  openPath: string;
}

export class CapabilitySelfTestError extends Error {}

/**
 * Throws CapabilitySelfTestError with one actionable line at the first facility missing.
 * marked: the directories on each filesystem the guard will mark (snapshots, pod volumes).
 * Returns the checks that passed, for the start-up log.
 */
export function runCapabilitySelfTest(
  marked: MarkedDirectory[],
  probes: CapabilityProbes,
  hasCapability: (name: CapabilityName) => boolean = (name) => hasEffectiveCapability(name),
): string[] {
  const check = (probe: () => void, failed: string, needFor: string, name: CapabilityName): void => {
    try {
      probe();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      if (!hasCapability(name))
        throw new CapabilitySelfTestError(missingCapability(`${failed} (${code})`, needFor, name));
      throw new CapabilitySelfTestError(
        `${failed} (${code}): ${errorMessage(error)}, although the agent has CAP_${name}: the kernel, a seccomp profile or a security module refuses it, and the agent ${needFor}`,
      );
    }
  };
  check(() => probes.probeFanotify(), "fanotify_init", "holds every exec on the node with fanotify", "SYS_ADMIN");
  for (const dir of marked) {
    check(
      () => probes.probeFileHandle(dir.openPath),
      `open_by_handle_at on ${dir.hostPath}`,
      "finds the image layer or volume an executed file lives in by its file handle",
      "DAC_READ_SEARCH",
    );
  }
  // A read lease proves an executed file has no writer; without CAP_LEASE the kernel grants
  // it only on the agent's own files, and container files of any owner would go unverified.
  if (!hasCapability("LEASE")) {
    throw new CapabilitySelfTestError(
      missingCapability(
        "no CAP_LEASE",
        "proves an executed file has no writer with a read lease (F_SETLEASE) on files of any owner",
        "LEASE",
      ),
    );
  }
  return ["fanotify", ...marked.map((d) => `file handles on ${d.hostPath}`), "read leases"];
}
