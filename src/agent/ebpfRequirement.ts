// --require-ebpf: an operator who counts on fileless and unwatched-filesystem coverage
// wants an agent that cannot give it to stop with one line, rather than run degraded.
import type { BpfCoverage } from "../native/bpfBinding";

const WHAT_TO_DO =
  "fileless execs and execs from unwatched filesystems would not be covered; give the agent a kernel and " +
  "capabilities that load BPF programs, or run without --require-ebpf (the agent then reports itself degraded)";

/** The line to stop with, or undefined when the sensor covers something. coverage undefined: it could not be created. */
export function ebpfRequirementProblem(coverage: BpfCoverage | undefined): string | undefined {
  if (!coverage) return `--require-ebpf: the eBPF sensor could not be created (see the line before): ${WHAT_TO_DO}`;
  if (!coverage.built)
    return `--require-ebpf: this build has no eBPF sensor (built without clang, bpftool and libbpf): ${WHAT_TO_DO}`;
  if (coverage.tracepoint || coverage.lsm) return undefined;
  const why = coverage.reasons.join("; ") || "no program attached";
  return `--require-ebpf: the kernel loaded none of the eBPF sensor's programs (${why}): ${WHAT_TO_DO}`;
}
