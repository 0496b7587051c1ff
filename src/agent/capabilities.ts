// The capabilities the agent needs, read from its own effective set (CapEff of
// /proc/self/status): errors then say which one is missing instead of only what failed.
import * as fs from "node:fs";
import * as path from "node:path";

/** Capability numbers (linux/capability.h) and their names in a securityContext. */
export const CAPABILITIES = {
  DAC_READ_SEARCH: 2,
  SYS_PTRACE: 19,
  SYS_ADMIN: 21,
  LEASE: 28,
} as const;

export type CapabilityName = keyof typeof CAPABILITIES;

/** Whether this process has the capability in its effective set. */
export function hasEffectiveCapability(name: CapabilityName, procDir = "/proc"): boolean {
  const status = fs.readFileSync(path.join(procDir, "self/status"), "utf8");
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0";
  return ((BigInt(`0x${hex}`) >> BigInt(CAPABILITIES[name])) & 1n) === 1n;
}

/** The one line for a missing capability, the same for every check. */
export function missingCapability(failed: string, needFor: string, name: CapabilityName): string {
  return `${failed}: the agent ${needFor} and needs the capability CAP_${name} for that; add ${name} to the container's securityContext.capabilities`;
}
