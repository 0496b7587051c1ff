// Typed views of the rendered workloads (types from kubernetes-models; the objects were
// validated against the same schemas by schema.test.ts).
import type { IDaemonSet, IDeployment } from "kubernetes-models/apps/v1" with { "resolution-mode": "import" };
import type { IContainer, IEnvVar, IPodSpec, IVolume } from "kubernetes-models/v1" with { "resolution-mode": "import" };

import { find, type K8sObject } from "./kustomize";

export type { IContainer, IDaemonSet, IDeployment, IEnvVar, IPodSpec, IVolume };

export interface Workload {
  kind: "DaemonSet" | "Deployment";
  name: string;
  pod: IPodSpec;
}

export function agentDaemonSet(objects: K8sObject[]): IDaemonSet {
  return find(objects, "DaemonSet", "driftguard-agent") as unknown as IDaemonSet;
}

export function collectorDeployment(objects: K8sObject[]): IDeployment {
  return find(objects, "Deployment", "driftguard-collector") as unknown as IDeployment;
}

/** Every pod template in the install. */
export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => o.kind === "DaemonSet" || o.kind === "Deployment")
    .map((o) => {
      const pod = (o as unknown as IDaemonSet | IDeployment).spec?.template.spec;
      if (!pod) throw new Error(`${o.kind} ${o.metadata.name} has no pod spec`);
      return { kind: o.kind as Workload["kind"], name: o.metadata.name, pod };
    });
}

export function podOf(workload: IDaemonSet | IDeployment): IPodSpec {
  const pod = workload.spec?.template.spec;
  if (!pod) throw new Error(`${workload.metadata?.name} has no pod spec`);
  return pod;
}

/** The container of a one-container pod. */
export function onlyContainer(pod: IPodSpec): IContainer {
  if (pod.containers.length !== 1) throw new Error(`expected one container, got ${pod.containers.length}`);
  return pod.containers[0];
}

/** The DRIFTGUARD_* variables of a container as the command line they stand for. */
export function flagArgv(container: IContainer, fieldValues: Record<string, string> = {}): string[] {
  return (container.env ?? [])
    .filter((e) => e.name.startsWith("DRIFTGUARD_"))
    .map((e) => `--${e.name.slice("DRIFTGUARD_".length).toLowerCase().replace(/_/g, "-")}=${envValue(e, fieldValues)}`);
}

/** An env var's value; one from a field or Secret is looked up in fieldValues by its name. */
export function envValue(e: IEnvVar, fieldValues: Record<string, string> = {}): string {
  if (e.value !== undefined) return e.value;
  const value = fieldValues[e.name];
  if (value === undefined) throw new Error(`${e.name} comes from ${JSON.stringify(e.valueFrom)}: give it a test value`);
  return value;
}

export function envOf(container: IContainer, name: string): IEnvVar | undefined {
  return (container.env ?? []).find((e) => e.name === name);
}

export function volume(pod: IPodSpec, name: string): IVolume {
  const found = (pod.volumes ?? []).find((v) => v.name === name);
  if (!found) throw new Error(`no volume ${name}`);
  return found;
}

/** The volume mounted at a directory that holds path (the longest mount path wins). */
export function mountHolding(
  container: IContainer,
  file: string,
): { mountPath: string; name: string; readOnly: boolean } {
  const mounts = (container.volumeMounts ?? [])
    .filter((m) => file === m.mountPath || file.startsWith(m.mountPath.replace(/\/?$/, "/")))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  if (mounts.length === 0) throw new Error(`${file} is on no volume of container ${container.name}`);
  return { mountPath: mounts[0].mountPath, name: mounts[0].name, readOnly: mounts[0].readOnly === true };
}
