// The kinds of workload that own a pod, as the agent tells them from the pod's labels
// (src/runtime/podOwner.ts). Same shape as verdict.ts: one entry per value, the proto
// number bound by vocabulary.test.ts.

export const WORKLOAD_KIND = {
  deployment: { proto: 1, label: "Deployment" },
  statefulset: { proto: 2, label: "StatefulSet" },
  daemonset: { proto: 3, label: "DaemonSet" },
  job: { proto: 4, label: "Job" },
  cronjob: { proto: 5, label: "CronJob" },
  // No controller label recognized: a bare pod, or an owner only the API server knows.
  pod: { proto: 6, label: "Pod" },
} as const satisfies Record<string, { readonly proto: number; readonly label: string }>;

export type WorkloadKind = keyof typeof WORKLOAD_KIND;
export const WORKLOAD_KINDS = Object.keys(WORKLOAD_KIND) as readonly WorkloadKind[];

export function isWorkloadKind(value: string): value is WorkloadKind {
  return Object.hasOwn(WORKLOAD_KIND, value);
}

/** "Deployment" for "deployment"; a kind this build does not know reads as itself. */
export function workloadKindLabel(kind: string): string {
  return isWorkloadKind(kind) ? WORKLOAD_KIND[kind].label : kind;
}
