// A container's posture from its spec: every risky property with the spec field that shows
// it. Pure (table-tested in test/unit/posture): the running process only answers what the
// spec cannot tell (the capabilities of a spec without any, the namespace a path names).
import type { PostureReason } from "../domain/driftReason";
import type { SecuritySpec } from "../runtime/securitySpec";
import type { OciMount } from "../runtime/types";
import { DANGEROUS_CAPABILITIES, RUNTIME_DEFAULT_CAPABILITIES } from "./capabilities";
import { exposingMounts, isReadOnly, type HostPaths } from "./sensitiveMounts";

/** What the running init process tells (read at attach); absent when /proc was not readable. */
export interface ProcessFacts {
  /** CapBnd of /proc/<pid>/status. */
  bounding?: string[];
  /** Whether the process is in the host's namespace of this type. */
  hostNamespaces: Partial<Record<HostNamespace, boolean>>;
}

export interface PostureHost extends HostPaths {
  /** AppArmor is enabled on the node: a container without a profile runs unconfined. */
  apparmorEnabled: boolean;
}

export interface PostureFacts {
  spec: SecuritySpec;
  mounts: readonly OciMount[];
  process?: ProcessFacts;
  host: PostureHost;
  /** The container's pod (its own volumes are the kubelet's, not a host path). */
  podUid?: string;
}

export interface PostureProperty {
  reason: PostureReason;
  /** The spec field that shows it ("process.capabilities.bounding", "mounts[7]", ...). */
  specField: string;
  value: string;
  /** Tells properties of one reason apart (a mount's destination); "" otherwise. */
  key: string;
  /** Added capabilities (posture_capabilities), for exceptions by name. */
  capabilities?: string[];
  /** The mount's host path (mount reasons), for exceptions by path. */
  source?: string;
}

export const HOST_NAMESPACES = ["pid", "ipc", "network"] as const;
export type HostNamespace = (typeof HOST_NAMESPACES)[number];

const NAMESPACE_REASON: Record<HostNamespace, PostureReason> = {
  pid: "posture_host_pid",
  ipc: "posture_host_ipc",
  network: "posture_host_network",
};

/** Reasons a privileged container has by definition: reported as privileged alone. */
const PART_OF_PRIVILEGED: ReadonlySet<PostureReason> = new Set([
  "posture_capabilities",
  "posture_unconfined_lsm",
  "posture_writable_proc_sys",
  "posture_writable_sysfs",
  "posture_no_seccomp",
]);

const UNCONFINED_SELINUX_TYPES = new Set(["spc_t", "super_t"]);

export function judgePosture(facts: PostureFacts): PostureProperty[] {
  const { spec } = facts;
  const out: PostureProperty[] = [];
  const add = (reason: PostureReason, specField: string, value: string, extra: Partial<PostureProperty> = {}) =>
    out.push({ reason, specField, value, key: "", ...extra });
  const caps = spec.bounding
    ? { names: spec.bounding, field: "process.capabilities.bounding" }
    : facts.process?.bounding && { names: facts.process.bounding, field: "process.capabilities (none: CapBnd)" };
  const allDevices = allowsEveryDevice(spec);
  if (caps?.names.includes("CAP_SYS_ADMIN") && allDevices) {
    add(
      "posture_privileged",
      `${caps.field}, linux.resources.devices`,
      `${caps.names.length} capabilities including CAP_SYS_ADMIN; every device allowed` +
        (spec.maskedPaths.length === 0 ? "; no path masked" : ""),
    );
  }
  for (const type of HOST_NAMESPACES) {
    const entry = spec.namespaces.find((n) => n.type === type);
    if (!entry) add(NAMESPACE_REASON[type], "linux.namespaces", `no ${type} namespace of its own: the host's`);
    else if (entry.path && facts.process?.hostNamespaces[type]) {
      add(NAMESPACE_REASON[type], "linux.namespaces", `joins ${entry.path}, the host's ${type} namespace`);
    }
  }
  const added = caps?.names.filter((c) => !RUNTIME_DEFAULT_CAPABILITIES.has(c)) ?? [];
  if (caps && added.length > 0) {
    add("posture_capabilities", caps.field, capabilitiesValue(added), { capabilities: added });
  }
  for (const m of exposingMounts(facts.mounts, facts.host, facts.podUid)) {
    const access = m.writable ? "writable" : "read-only";
    add(
      m.reason,
      `mounts[${m.index}]`,
      `${shortPath(m.source)} -> ${shortPath(m.destination)} (${access}): ${m.what}`,
      {
        key: m.destination,
        source: m.source,
      },
    );
  }
  const selinuxType = spec.selinuxLabel.split(":")[2] ?? "";
  if (UNCONFINED_SELINUX_TYPES.has(selinuxType)) {
    add("posture_unconfined_lsm", "process.selinuxLabel", spec.selinuxLabel);
  } else if (spec.apparmorProfile === "unconfined" || (spec.apparmorProfile === "" && facts.host.apparmorEnabled)) {
    add("posture_unconfined_lsm", "process.apparmorProfile", spec.apparmorProfile || "(none on a node with AppArmor)");
  }
  const procMounted = facts.mounts.some((m) => m.type === "proc" && m.destination === "/proc");
  const protects = (paths: string[]) => paths.some((p) => p === "/proc/sys" || p === "/proc");
  if (procMounted && !protects(spec.readonlyPaths) && !protects(spec.maskedPaths)) {
    add("posture_writable_proc_sys", "linux.readonlyPaths", "/proc/sys is neither read-only nor masked");
  }
  const sysfs = facts.mounts.findIndex((m) => m.type === "sysfs" && !isReadOnly(m));
  if (sysfs >= 0)
    add("posture_writable_sysfs", `mounts[${sysfs}]`, `sysfs at ${facts.mounts[sysfs].destination}, writable`);
  if (!spec.seccomp || (spec.seccomp.defaultAction === "SCMP_ACT_ALLOW" && spec.seccomp.rules === 0)) {
    add("posture_no_seccomp", "linux.seccomp", spec.seccomp ? "a profile that allows every call" : "absent");
  }
  if (spec.uid === 0 && !spec.noNewPrivileges) {
    add("posture_root_escalation", "process.user.uid, process.noNewPrivileges", "uid 0, noNewPrivileges false");
  }
  const privileged = out.some((p) => p.reason === "posture_privileged");
  return privileged ? out.filter((p) => !PART_OF_PRIVILEGED.has(p.reason)) : out;
}

/** A path as evidence: a long one cut (both of a mount's paths and what it exposes must fit a finding). */
function shortPath(p: string): string {
  return p.length > 1024 ? p.slice(0, 1023) + "…" : p;
}

/** "CAP_SYS_ADMIN (dangerous), CAP_IPC_LOCK": the dangerous ones first. */
export function capabilitiesValue(capabilities: readonly string[]): string {
  const dangerous = capabilities.filter((c) => DANGEROUS_CAPABILITIES.has(c)).map((c) => `${c} (dangerous)`);
  return [...dangerous, ...capabilities.filter((c) => !DANGEROUS_CAPABILITIES.has(c))].join(", ");
}

/** The device cgroup's last rule about every device allows it (what privileged writes). */
function allowsEveryDevice(spec: SecuritySpec): boolean {
  const everyDevice = spec.deviceRules.filter((r) => (r.type === "" || r.type === "a") && r.major < 0 && r.minor < 0);
  const last = everyDevice[everyDevice.length - 1];
  return (
    last !== undefined && last.allow && ["r", "w", "m"].every((a) => last.access === "" || last.access.includes(a))
  );
}
