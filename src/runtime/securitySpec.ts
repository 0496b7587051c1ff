// The security-relevant part of a container's OCI runtime spec (config.json as containerd
// stores it): what the posture judgement (src/posture) needs. Parsed as hostile input, but
// unlike the mounts a malformed field never stops the container from being guarded: it is
// read as absent (which the judgement treats as the runtime would: no seccomp, no
// namespace of its own) and named in `problems` for the log.

export interface SpecNamespace {
  /** pid, ipc, network, mount, uts, user, cgroup. */
  type: string;
  /** Set when the container joins an existing namespace instead of creating one. */
  path?: string;
}

export interface SpecDeviceRule {
  allow: boolean;
  /** "a" (all), "b", "c"; "" when absent (all). */
  type: string;
  /** -1 when absent (all). */
  major: number;
  minor: number;
  access: string;
}

export interface SecuritySpec {
  /** process.user.uid (0 when absent, as runc does). */
  uid: number;
  noNewPrivileges: boolean;
  /** process.capabilities.bounding; undefined when the spec has no capabilities (runc then keeps its own). */
  bounding?: string[];
  apparmorProfile: string;
  selinuxLabel: string;
  /** linux.namespaces; a type missing here is shared with the runtime (the host). */
  namespaces: SpecNamespace[];
  maskedPaths: string[];
  readonlyPaths: string[];
  /** linux.resources.devices, in order (the last matching rule wins). */
  deviceRules: SpecDeviceRule[];
  /** linux.seccomp: absent, or its defaultAction and how many syscall rules it has. */
  seccomp?: { defaultAction: string; rules: number };
  /** Fields that were malformed and read as absent. */
  problems: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads the security facts of a parsed spec object. Never throws. */
export function parseSecuritySpec(spec: Json): SecuritySpec {
  const problems: string[] = [];
  const object = (value: unknown, where: string): Json => {
    if (value === undefined || value === null) return {};
    if (isObject(value)) return value;
    problems.push(`${where} is not an object`);
    return {};
  };
  const string = (value: unknown, where: string): string => {
    if (value === undefined || value === null) return "";
    if (typeof value === "string") return value;
    problems.push(`${where} is not a string`);
    return "";
  };
  const strings = (value: unknown, where: string): string[] | undefined => {
    if (value === undefined || value === null) return undefined;
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
    problems.push(`${where} is not an array of strings`);
    return undefined;
  };
  const process = object(spec.process, "process");
  const user = object(process.user, "process.user");
  const linux = object(spec.linux, "linux");
  const caps = process.capabilities === undefined ? undefined : object(process.capabilities, "process.capabilities");
  let uid = 0;
  if (user.uid !== undefined) {
    if (Number.isSafeInteger(user.uid) && (user.uid as number) >= 0) uid = user.uid as number;
    else problems.push("process.user.uid is not a user id");
  }
  return {
    uid,
    noNewPrivileges: process.noNewPrivileges === true,
    bounding: caps && strings(caps.bounding, "process.capabilities.bounding"),
    apparmorProfile: string(process.apparmorProfile, "process.apparmorProfile"),
    selinuxLabel: string(process.selinuxLabel, "process.selinuxLabel"),
    namespaces: namespacesOf(linux.namespaces, problems),
    maskedPaths: strings(linux.maskedPaths, "linux.maskedPaths") ?? [],
    readonlyPaths: strings(linux.readonlyPaths, "linux.readonlyPaths") ?? [],
    deviceRules: deviceRulesOf(object(linux.resources, "linux.resources").devices, problems),
    seccomp: seccompOf(linux.seccomp, problems),
    problems,
  };
}

function namespacesOf(value: unknown, problems: string[]): SpecNamespace[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push("linux.namespaces is not an array");
    return [];
  }
  const out: SpecNamespace[] = [];
  value.forEach((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry.type !== "string") {
      problems.push(`linux.namespaces[${i}] has no type`);
      return;
    }
    out.push(
      typeof entry.path === "string" && entry.path !== ""
        ? { type: entry.type, path: entry.path }
        : { type: entry.type },
    );
  });
  return out;
}

function deviceRulesOf(value: unknown, problems: string[]): SpecDeviceRule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problems.push("linux.resources.devices is not an array");
    return [];
  }
  const number = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : -1);
  return value.filter(isObject).map((rule) => ({
    allow: rule.allow === true,
    type: typeof rule.type === "string" ? rule.type : "",
    major: number(rule.major),
    minor: number(rule.minor),
    access: typeof rule.access === "string" ? rule.access : "",
  }));
}

function seccompOf(value: unknown, problems: string[]): SecuritySpec["seccomp"] {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    problems.push("linux.seccomp is not an object");
    return undefined;
  }
  return {
    defaultAction: typeof value.defaultAction === "string" ? value.defaultAction : "",
    rules: Array.isArray(value.syscalls) ? value.syscalls.length : 0,
  };
}
