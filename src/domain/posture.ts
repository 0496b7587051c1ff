// What each posture reason means: the Pod Security Standards rule it breaks, the GuardDuty
// finding type that reports the same condition (where there is one), and what it means for
// drift prevention. One entry per posture_* reason of driftReason.ts; the compiler demands
// every one. The agent's log line, the CLI, the review page, the webhook and the ASFF
// export all read these words from here.
import type { PostureReason } from "./driftReason";

/** Pod Security Standards levels: restricted adds to baseline. */
export type PssLevel = "baseline" | "restricted";
export const PSS_LEVELS: readonly PssLevel[] = ["baseline", "restricted"];

export interface PostureEntry {
  /** The property's name in policies (allow.posture[].property): the reason without posture_. */
  readonly property: string;
  readonly pss: { readonly level: PssLevel; readonly control: string };
  /**
   * The GuardDuty EKS finding type for the same condition. AWS lists these two among its
   * retired types (now reported as AnomalousBehavior.WorkloadDeployed!…, for anomalous
   * workloads only); they remain the names that name the condition itself.
   */
  readonly guardDuty?: string;
  /** What it means for drift prevention, one sentence that starts with the property. */
  readonly meaning: string;
}

const PRIVILEGED_CONTAINER = "PrivilegeEscalation:Kubernetes/PrivilegedContainer";
const SENSITIVE_MOUNT = "Persistence:Kubernetes/ContainerWithSensitiveMount";

export const POSTURE = {
  posture_privileged: {
    property: "privileged",
    pss: { level: "baseline", control: "Privileged Containers" },
    guardDuty: PRIVILEGED_CONTAINER,
    meaning:
      "privileged: this container can mount filesystems, load kernel modules and use every device of the node; drift prevention cannot be complete for it",
  },
  posture_host_pid: {
    property: "host_pid",
    pss: { level: "baseline", control: "Host Namespaces (hostPID)" },
    meaning:
      "host PID namespace: this container sees every process of the node and can signal or enter them (nsenter -t 1 with the capabilities), the agent included; drift prevention cannot be complete for it",
  },
  posture_host_ipc: {
    property: "host_ipc",
    pss: { level: "baseline", control: "Host Namespaces (hostIPC)" },
    meaning:
      "host IPC namespace: this container shares System V and POSIX shared memory with the node's processes and can read or change their data",
  },
  posture_host_network: {
    property: "host_network",
    pss: { level: "baseline", control: "Host Namespaces (hostNetwork)" },
    meaning:
      "host network: this container reaches every service listening on the node (the kubelet, the runtime, the instance metadata service) and, with NET_RAW or NET_ADMIN, the node's traffic",
  },
  posture_capabilities: {
    property: "capabilities",
    pss: { level: "baseline", control: "Capabilities" },
    meaning:
      "capabilities beyond the runtime default: SYS_ADMIN mounts filesystems, SYS_MODULE loads kernel code, SYS_PTRACE enters other processes, BPF and PERFMON load kernel programs; with these a process can run code the guard never sees",
  },
  posture_sensitive_mount: {
    property: "sensitive_mount",
    pss: { level: "baseline", control: "HostPath Volumes" },
    guardDuty: SENSITIVE_MOUNT,
    meaning:
      "sensitive host path mounted: this container can read the node's files and secrets and, when the mount is writable, plant code the host runs outside any container; drift prevention guards containers, not the host",
  },
  posture_runtime_socket: {
    property: "runtime_socket",
    pss: { level: "baseline", control: "HostPath Volumes" },
    guardDuty: SENSITIVE_MOUNT,
    meaning:
      "container runtime socket mounted: this container can create new containers (privileged ones too) and exec into others; drift prevention cannot be complete for it",
  },
  posture_unconfined_lsm: {
    property: "unconfined_lsm",
    pss: { level: "baseline", control: "AppArmor / SELinux" },
    meaning:
      "no mandatory access control (AppArmor unconfined, or SELinux spc_t or super_t): only its capabilities limit what its root processes do to the node",
  },
  posture_writable_proc_sys: {
    property: "writable_proc_sys",
    pss: { level: "baseline", control: "/proc Mount Type" },
    meaning:
      "writable /proc/sys: this container can change kernel settings that are not namespaced, such as kernel.core_pattern, which makes the host run a program of its choosing; drift prevention cannot be complete for it",
  },
  posture_writable_sysfs: {
    property: "writable_sysfs",
    pss: { level: "baseline", control: "Privileged Containers (writable /sys)" },
    meaning: "writable /sys: this container can change the node's devices, kernel module parameters and cgroups",
  },
  posture_no_seccomp: {
    property: "no_seccomp",
    pss: { level: "restricted", control: "Seccomp" },
    meaning:
      "no seccomp filter: every system call reaches the kernel, including the rarely needed ones container escapes rely on (keyctl, userfaultfd, unshare, bpf)",
  },
  posture_root_escalation: {
    property: "root_escalation",
    pss: { level: "restricted", control: "Running as Non-root / Privilege Escalation" },
    meaning:
      "runs as root with no_new_privs off: setuid programs and file capabilities can raise a process's privileges up to the container's bounding set",
  },
} as const satisfies Record<PostureReason, PostureEntry>;

export const POSTURE_REASONS = Object.keys(POSTURE) as readonly PostureReason[];

/** Property names as policies write them (privileged, host_pid, …), in reason order. */
export const POSTURE_PROPERTIES = POSTURE_REASONS.map((r) => POSTURE[r].property);

export function postureOf(reason: string): PostureEntry | undefined {
  return Object.hasOwn(POSTURE, reason) ? (POSTURE as Record<string, PostureEntry>)[reason] : undefined;
}

/** The reason of a policy's property name, or undefined for an unknown one. */
export function reasonOfProperty(property: string): PostureReason | undefined {
  return POSTURE_REASONS.find((r) => POSTURE[r].property === property);
}
