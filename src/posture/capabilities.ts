// Linux capabilities by name: the runtime's default set (what a container gets unless its
// spec adds more), the ones that let a process reach around the guard, and the bit order
// /proc/<pid>/status masks use.

/** Capability names in bit order (linux/capability.h, up to CAP_CHECKPOINT_RESTORE = 40). */
const BY_BIT = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
].map((name) => `CAP_${name}`);

/** containerd's (and Docker's) default set: what a container has unless its spec adds more. */
export const RUNTIME_DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set(
  [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
  ].map((name) => `CAP_${name}`),
);

/**
 * The capabilities that let a process run code the guard does not see or leave the
 * container: mounts and namespaces, kernel modules, other processes' memory, raw devices,
 * any file by handle, kernel programs, the node's network.
 */
export const DANGEROUS_CAPABILITIES: ReadonlySet<string> = new Set(
  ["SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "DAC_READ_SEARCH", "BPF", "PERFMON", "NET_ADMIN"].map(
    (name) => `CAP_${name}`,
  ),
);

/** "sys_admin", "SYS_ADMIN" or "CAP_SYS_ADMIN" → "CAP_SYS_ADMIN". */
export function capabilityName(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith("CAP_") ? upper : `CAP_${upper}`;
}

/** The names of the bits set in a /proc/<pid>/status mask ("000001fffeffffff"); undefined if it is not hex. */
export function capabilitiesOfMask(hex: string): string[] | undefined {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return undefined;
  const mask = BigInt(`0x${hex}`);
  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(BY_BIT[bit] ?? `CAP_${bit}`);
  }
  return names;
}
