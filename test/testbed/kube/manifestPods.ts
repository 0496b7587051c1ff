// From rendered manifests (`kubectl kustomize daemonset/overlays/...`) to what the kube
// node runs: the pod a DaemonSet or Deployment would create, and the node environment its
// volumes and env refer to (ConfigMaps, Secrets, ServiceAccount tokens from the cluster's
// issuer, node paths moved under the bed, Service names resolved through /etc/hosts).
import * as path from "node:path";

import type { TestIssuer } from "../testIssuer";
import type { KubeNode } from "./KubeNode";
import type { Container, Pod, PodSpec } from "./podTypes";
import type { PodEnvironment } from "./RunningPod";

export interface ManifestObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Workload extends ManifestObject {
  spec: { template: { metadata: { labels?: Record<string, string> }; spec: PodSpec } };
}

/** The pod a DaemonSet or Deployment of that name creates (one name suffix, as the controllers add). */
export function podOf(objects: ManifestObject[], kind: "DaemonSet" | "Deployment", name: string): Pod {
  const workload = objects.find((o) => o.kind === kind && o.metadata.name === name) as Workload | undefined;
  if (!workload) throw new Error(`no ${kind} ${name} in the manifests`);
  const { template } = workload.spec;
  return {
    metadata: {
      name: `${name}-${Math.random().toString(36).slice(2, 7)}`,
      namespace: workload.metadata.namespace ?? "default",
      labels: template.metadata.labels,
    },
    spec: structuredClone(template.spec),
  };
}

/**
 * Where the node's well-known paths are on the kube node: containerd's socket and root,
 * the kubelet's pods dir. Env values naming them (also through /proc/1/root) are moved.
 */
export function nodePaths(node: KubeNode): Map<string, string> {
  return new Map([
    ["/run/containerd/containerd.sock", node.containerd.address],
    ["/var/lib/containerd", node.containerd.root],
    ["/var/lib/kubelet/pods", node.podsDir],
  ]);
}

// This machine's pid 1 is a sandbox's init that even root may not inspect (/proc/1/root
// is EACCES with every capability), so the agent is pointed at another process in the
// host's namespaces (DRIFTGUARD_HOST_PID, as test/integration/agent/podView.test.ts does):
// this test process. On a node, pid 1 is the node's init and the manifest needs nothing.
const HOST_PID = process.pid;
const hostRoot = `/proc/${HOST_PID}/root`;

/**
 * What daemonset/base leaves to the user's overlay for the collector, the cluster's OIDC
 * issuer, set to `issuer`. Its keys reach the collector as a file from a ConfigMap
 * (--agent-token-jwks), as where the collector cannot reach the issuer: EKS's is not
 * reachable from here. Returns the objects changed (a copy).
 */
export function withClusterIssuer(objects: ManifestObject[], issuer: TestIssuer): ManifestObject[] {
  const out = structuredClone(objects);
  const deployment = out.find((o) => o.kind === "Deployment" && o.metadata.name === "driftguard-collector") as
    Workload | undefined;
  const collector = deployment?.spec.template.spec.containers.find((c: Container) => c.name === "collector");
  const setting = collector?.env?.find((e) => e.name === "DRIFTGUARD_AGENT_TOKEN_ISSUER");
  if (!deployment || !collector || !setting) throw new Error("no collector with DRIFTGUARD_AGENT_TOKEN_ISSUER");
  setting.value = issuer.issuer;
  collector.env!.push({ name: "DRIFTGUARD_AGENT_TOKEN_JWKS", value: "/etc/driftguard/issuer/jwks.json" });
  (collector.volumeMounts ??= []).push({ name: "issuer-keys", mountPath: "/etc/driftguard/issuer", readOnly: true });
  const pod = deployment.spec.template.spec;
  (pod.volumes ??= []).push({ name: "issuer-keys", configMap: { name: "driftguard-issuer-keys" } });
  out.push({
    kind: "ConfigMap",
    metadata: { name: "driftguard-issuer-keys", namespace: deployment.metadata.namespace },
    data: { "jwks.json": issuer.jwks() },
  });
  return out;
}

export function manifestEnvironment(
  node: KubeNode,
  objects: ManifestObject[],
  issuer: TestIssuer,
  nodeName = "kube-node-1",
): PodEnvironment {
  const configMaps = new Map<string, Record<string, string>>();
  const secrets = new Map<string, Record<string, string>>();
  for (const object of objects) {
    if (object.kind === "ConfigMap")
      configMaps.set(object.metadata.name, (object.data ?? {}) as Record<string, string>);
    if (object.kind === "Secret") {
      const data = (object.data ?? {}) as Record<string, string>;
      secrets.set(
        object.metadata.name,
        Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString()])),
      );
    }
  }
  const services = objects.filter((o) => o.kind === "Service").map((o) => o.metadata);
  const moved = nodePaths(node);
  return {
    nodeName,
    configMaps,
    secrets,
    hostPath: (p) => node.hostPath(p),
    // No cluster DNS here: a Service name is the node itself, where its pods' ports are.
    hosts: services.map(
      (s) => `127.0.0.1 ${s.name} ${s.name}.${s.namespace}.svc ${s.name}.${s.namespace}.svc.cluster.local`,
    ),
    rewriteEnv: (_name, value) => {
      for (const [nodePath, here] of moved) {
        if (value === nodePath) return here;
        if (value === path.join("/proc/1/root", nodePath)) return path.join(hostRoot, here);
      }
      return undefined;
    },
    addedEnv: { DRIFTGUARD_HOST_PID: String(HOST_PID) },
    // Claims as the API server puts them in a pod-bound token (Kubernetes 1.30+: the node too).
    serviceAccountToken: (r) =>
      issuer.token(nodeName, {
        expiresIn: r.expirationSeconds,
        claims: {
          aud: [r.audience],
          sub: `system:serviceaccount:${r.namespace}:${r.serviceAccount}`,
          "kubernetes.io": {
            namespace: r.namespace,
            node: { name: nodeName, uid: `uid-${nodeName}` },
            pod: { name: r.pod, uid: r.podUid },
            serviceaccount: { name: r.serviceAccount, uid: `uid-${r.serviceAccount}` },
          },
        },
      }),
  };
}
