// OCI spec facts for posture tests, shaped as containerd 1.6's ctr writes them on this
// project's machines (a plain `ctr run`, and what --privileged, --cap-add, --with-ns,
// --net-host and --mount change): the judgement is tested on what the runtime produces.
import type { PostureFacts } from "../../../src/posture/judgePosture";
import type { SecuritySpec } from "../../../src/runtime/securitySpec";
import type { OciMount } from "../../../src/runtime/types";

export const DEFAULT_BOUNDING = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** ctr --privileged on a kernel with 40 capabilities (CAP_SYS_RESOURCE missing from the VM's own set). */
export const PRIVILEGED_BOUNDING = [
  ...DEFAULT_BOUNDING,
  ...[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "DAC_READ_SEARCH",
    "IPC_LOCK",
    "IPC_OWNER",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "NET_ADMIN",
    "NET_BROADCAST",
    "PERFMON",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
  ].map((c) => `CAP_${c}`),
];

export function plainSpec(over: Partial<SecuritySpec> = {}): SecuritySpec {
  return {
    uid: 0,
    noNewPrivileges: true,
    bounding: DEFAULT_BOUNDING,
    apparmorProfile: "",
    selinuxLabel: "",
    namespaces: ["pid", "ipc", "uts", "mount", "network"].map((type) => ({ type })),
    maskedPaths: ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    deviceRules: [
      { allow: false, type: "", major: -1, minor: -1, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
    ],
    problems: [],
    ...over,
  };
}

export function privilegedSpec(over: Partial<SecuritySpec> = {}): SecuritySpec {
  return plainSpec({
    bounding: PRIVILEGED_BOUNDING,
    maskedPaths: [],
    readonlyPaths: [],
    deviceRules: [{ allow: true, type: "", major: -1, minor: -1, access: "rwm" }],
    ...over,
  });
}

const m = (destination: string, type: string, source: string, options: string[]): OciMount => ({
  destination,
  type,
  source,
  options,
});

export function plainMounts(sysfs: "ro" | "rw" = "ro"): OciMount[] {
  return [
    m("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
    m("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
    m("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777"]),
    m("/sys", "sysfs", "sysfs", ["nosuid", "noexec", "nodev", sysfs]),
    m("/run", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755"]),
  ];
}

export function bind(source: string, destination: string, access: "ro" | "rw" = "rw"): OciMount {
  return m(destination, "bind", source, ["rbind", access]);
}

export const TEST_HOST: PostureFacts["host"] = {
  runtimeSockets: ["/tmp/driftguard-containerd-X/containerd.sock"],
  runtimeState: ["/tmp/driftguard-containerd-X/root"],
  kubeletPodsDir: "/var/lib/kubelet/pods",
  apparmorEnabled: false,
};

export function facts(over: Partial<PostureFacts> = {}): PostureFacts {
  return { spec: plainSpec(), mounts: plainMounts(), host: TEST_HOST, ...over };
}
