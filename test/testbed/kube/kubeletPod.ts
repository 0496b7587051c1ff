// A Pod turned into the CRI requests the kubelet sends (pkg/kubelet/kuberuntime): the
// sandbox's labels (the pod's own plus io.kubernetes.pod.*) and annotations, the pod's
// cgroup parent by QoS class, the containers' kubelet labels (io.kubernetes.container.name
// and the pod's identity; never the pod's labels) and annotations, mounts, the security
// context with the kubelet's default masked and read-only paths, seccomp and resources.
import { createHash } from "node:crypto";

import { podCgroupParent } from "./podCgroups";
import type { Container, Pod, SecurityContext } from "./podTypes";

// NamespaceMode and SecurityProfile.ProfileType of the CRI.
const NS_POD = 0;
const NS_CONTAINER = 1;
const NS_NODE = 2;
const SECCOMP_RUNTIME_DEFAULT = 0;
const SECCOMP_UNCONFINED = 1;

// The kubelet's defaults for a container with procMount Default (pkg/securitycontext).
const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

export interface PodIdentity {
  uid: string;
  logDirectory: string;
}

type Qos = "besteffort" | "burstable" | "guaranteed";

/** The pod's QoS class from its containers' requests and limits (cpu and memory). */
export function qosClass(pod: Pod): Qos {
  const resources = pod.spec.containers.map((c) => c.resources ?? {});
  const any = resources.some((r) => Object.keys(r.requests ?? {}).length + Object.keys(r.limits ?? {}).length > 0);
  if (!any) return "besteffort";
  const guaranteed = resources.every((r) =>
    ["cpu", "memory"].every((k) => r.limits?.[k] !== undefined && (r.requests?.[k] ?? r.limits[k]) === r.limits[k]),
  );
  return guaranteed ? "guaranteed" : "burstable";
}

function namespaces(pod: Pod): object {
  // Pods run in the node's network here (no CNI); see KubeNode.
  return { network: NS_NODE, pid: pod.spec.hostPID ? NS_NODE : NS_CONTAINER, ipc: NS_POD };
}

export function sandboxConfig(pod: Pod, id: PodIdentity): object {
  const { name, namespace } = pod.metadata;
  const podContext = pod.spec.securityContext ?? {};
  return {
    metadata: { name, namespace, uid: id.uid, attempt: 0 },
    hostname: "",
    logDirectory: id.logDirectory,
    labels: {
      ...pod.metadata.labels,
      "io.kubernetes.pod.name": name,
      "io.kubernetes.pod.namespace": namespace,
      "io.kubernetes.pod.uid": id.uid,
    },
    annotations: {
      ...pod.metadata.annotations,
      "kubernetes.io/config.seen": new Date().toISOString(),
      "kubernetes.io/config.source": "api",
    },
    linux: {
      cgroupParent: podCgroupParent(qosClass(pod), id.uid),
      securityContext: {
        namespaceOptions: namespaces(pod),
        runAsUser: podContext.runAsUser === undefined ? undefined : { value: podContext.runAsUser },
        runAsGroup: podContext.runAsGroup === undefined ? undefined : { value: podContext.runAsGroup },
        supplementalGroups: podContext.fsGroup === undefined ? [] : [podContext.fsGroup],
        seccomp: seccomp(podContext),
        // As the kubelet: a pod with a privileged container has a privileged sandbox
        // (containerd refuses a privileged container in any other).
        privileged: pod.spec.containers.some((c) => c.securityContext?.privileged === true),
      },
    },
  };
}

function seccomp(context: SecurityContext | undefined): object {
  const type = context?.seccompProfile?.type;
  return { profileType: type === "RuntimeDefault" ? SECCOMP_RUNTIME_DEFAULT : SECCOMP_UNCONFINED };
}

export interface ContainerMount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
}

/** Milli-CPU and bytes from a resource quantity ("100m", "1", "256Mi", "1Gi"). */
function quantity(value: string | undefined, cpu: boolean): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi)?$/.exec(value);
  if (!match) throw new Error(`resource quantity ${value}: not one the kube node reads`);
  const n = Number(match[1]);
  const unit = { m: 1 / 1000, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] ?? ""] ?? 1;
  return cpu ? Math.round(n * unit * 1000) : Math.round(n * unit);
}

function resources(container: Container): object {
  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const cpuRequest = quantity(requests.cpu ?? limits.cpu, true);
  const cpuLimit = quantity(limits.cpu, true);
  return {
    cpuShares: cpuRequest === undefined ? 2 : Math.max(2, Math.round((cpuRequest * 1024) / 1000)),
    cpuPeriod: 100_000,
    cpuQuota: cpuLimit === undefined ? 0 : Math.round((cpuLimit * 100_000) / 1000),
    memoryLimitInBytes: quantity(limits.memory, false) ?? 0,
  };
}

export function containerConfig(
  pod: Pod,
  container: Container,
  id: PodIdentity,
  env: Record<string, string>,
  mounts: ContainerMount[],
  attempt: number,
): object {
  const context = container.securityContext ?? {};
  const podContext = pod.spec.securityContext ?? {};
  const runAsUser = context.runAsUser ?? podContext.runAsUser;
  const runAsGroup = context.runAsGroup ?? podContext.runAsGroup;
  const privileged = context.privileged === true;
  return {
    metadata: { name: container.name, attempt },
    image: { image: container.image },
    command: container.command ?? [],
    args: container.args ?? [],
    envs: Object.entries(env).map(([key, value]) => ({ key, value })),
    mounts,
    labels: {
      "io.kubernetes.container.name": container.name,
      "io.kubernetes.pod.name": pod.metadata.name,
      "io.kubernetes.pod.namespace": pod.metadata.namespace,
      "io.kubernetes.pod.uid": id.uid,
    },
    annotations: {
      "io.kubernetes.container.hash": createHash("sha256").update(JSON.stringify(container)).digest("hex").slice(0, 8),
      "io.kubernetes.container.restartCount": String(attempt),
      "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
      "io.kubernetes.container.terminationMessagePolicy": "File",
      "io.kubernetes.pod.terminationGracePeriod": String(pod.spec.terminationGracePeriodSeconds ?? 30),
    },
    logPath: `${container.name}/${attempt}.log`,
    linux: {
      resources: resources(container),
      securityContext: {
        capabilities: {
          addCapabilities: context.capabilities?.add ?? [],
          dropCapabilities: context.capabilities?.drop ?? [],
        },
        privileged,
        namespaceOptions: namespaces(pod),
        runAsUser: runAsUser === undefined ? undefined : { value: runAsUser },
        runAsGroup: runAsGroup === undefined ? undefined : { value: runAsGroup },
        readonlyRootfs: context.readOnlyRootFilesystem === true,
        supplementalGroups: podContext.fsGroup === undefined ? [] : [podContext.fsGroup],
        noNewPrivs: context.allowPrivilegeEscalation === false,
        maskedPaths: privileged ? [] : MASKED_PATHS,
        readonlyPaths: privileged ? [] : READONLY_PATHS,
        seccomp: seccomp(context.seccompProfile ? context : podContext),
      },
    },
  };
}
