// Which workload owns a pod, as far as its name and labels tell: the agent has no API
// server access, so owner references are not known, only what the controllers write into
// the labels of the pods they create. What this cannot know: a ReplicaSet created without
// a Deployment looks like a Deployment's; a Job named like a CronJob's looks like one; a
// ReplicationController's pods and those of custom controllers (Argo Rollouts, operators)
// look like bare pods; a name cut by the pod name's length limit stays cut.
import type { WorkloadKind } from "../domain/workload";

export interface PodOwner {
  kind: WorkloadKind;
  name: string;
  /** What the owner was inferred from, for reviewers to weigh it. */
  inferredFrom: string;
}

const JOB_NAME_LABELS = ["batch.kubernetes.io/job-name", "job-name"];
/** A CronJob names its Jobs "<cronjob>-<scheduled time in minutes since the epoch>". */
const CRONJOB_JOB = /^(.+)-(\d{8,})$/;
/** The random suffix kube-controller-manager appends to generated pod names. */
const POD_SUFFIX = /-[a-z0-9]{5}$/;

/** The owner of pod `pod` with labels `labels` (the pod's own: its sandbox's), undefined for no pod. */
export function podOwner(pod: string, labels: Record<string, string>): PodOwner | undefined {
  if (!pod) return undefined;
  const templateHash = labels["pod-template-hash"];
  if (templateHash) {
    // Pod "<deployment>-<hash>-<suffix>": its ReplicaSet is "<deployment>-<hash>".
    const at = pod.lastIndexOf(`-${templateHash}-`);
    if (at > 0) return { kind: "deployment", name: pod.slice(0, at), inferredFrom: "label pod-template-hash" };
    return {
      kind: "deployment",
      name: pod.replace(POD_SUFFIX, ""),
      inferredFrom:
        "label pod-template-hash; the pod name was cut, so this is its start (the API server knows the name)",
    };
  }
  const jobLabel = JOB_NAME_LABELS.find((l) => labels[l]);
  if (jobLabel) {
    const job = labels[jobLabel];
    const cron = CRONJOB_JOB.exec(job);
    if (cron)
      return { kind: "cronjob", name: cron[1], inferredFrom: `label ${jobLabel} ${job} (a CronJob's Job name)` };
    return { kind: "job", name: job, inferredFrom: `label ${jobLabel}` };
  }
  if (labels["statefulset.kubernetes.io/pod-name"] === pod && /-\d+$/.test(pod)) {
    return {
      kind: "statefulset",
      name: pod.replace(/-\d+$/, ""),
      inferredFrom: "label statefulset.kubernetes.io/pod-name",
    };
  }
  if (labels["controller-revision-hash"] && labels["pod-template-generation"]) {
    return {
      kind: "daemonset",
      name: pod.replace(POD_SUFFIX, ""),
      inferredFrom: "labels controller-revision-hash and pod-template-generation",
    };
  }
  return {
    kind: "pod",
    name: pod,
    inferredFrom: "no controller label (a bare pod, or an owner only the API server knows)",
  };
}
