// The security-relevant fields of every rendered install: what runs privileged (nothing),
// what the agent may do beyond an ordinary container and nothing more, what is writable,
// which tokens and keys reach which pod, and who may talk to whom.
import * as assert from "node:assert/strict";

import { OVERLAYS, find, rendered, type K8sObject } from "./kustomize";
import { agentDaemonSet, collectorDeployment, onlyContainer, podOf, workloads, type IContainer } from "./workloads";

/** The agent's capabilities: fanotify, open_by_handle_at, /proc of other processes, read leases. */
const AGENT_CAPABILITIES = ["DAC_READ_SEARCH", "LEASE", "SYS_ADMIN", "SYS_PTRACE"];
/** Writable mounts, per workload: state that must survive, and SQLite's temporary files. */
const WRITABLE: Record<string, string[]> = {
  "driftguard-agent": ["/var/lib/driftguard"],
  "driftguard-collector": ["/var/lib/driftguard", "/tmp"],
};
const COMPONENT_LABELS = { "app.kubernetes.io/name": "driftguard" };
const AGENT = { ...COMPONENT_LABELS, "app.kubernetes.io/component": "agent" };
const COLLECTOR = { ...COMPONENT_LABELS, "app.kubernetes.io/component": "collector" };

function containersOf(objects: K8sObject[]): { workload: string; container: IContainer }[] {
  return workloads(objects).flatMap((w) =>
    [...(w.pod.initContainers ?? []), ...w.pod.containers].map((container) => ({ workload: w.name, container })),
  );
}

interface PolicyRule {
  ports?: { protocol?: string; port?: number | string }[];
  to?: PolicyPeer[];
  from?: PolicyPeer[];
}
interface PolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: unknown;
}
interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes?: string[];
    ingress?: PolicyRule[];
    egress?: PolicyRule[];
  };
}

/** The policies that select pods with these labels. */
function policiesFor(objects: K8sObject[], labels: Record<string, string>): NetworkPolicy[] {
  return (objects.filter((o) => o.kind === "NetworkPolicy") as NetworkPolicy[]).filter((p) =>
    Object.entries(p.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
  );
}

/** The same labels, whatever their order. */
function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const entries = (o: Record<string, string>) => JSON.stringify(Object.entries(o).sort());
  return entries(a) === entries(b);
}

/** "PEERS: PORTS", e.g. "pods collector: 7443/TCP" or "anywhere: 53/TCP 53/UDP". */
function ruleSummary(rule: PolicyRule): string {
  const peers = [...(rule.to ?? []), ...(rule.from ?? [])].map((peer) => {
    if (peer.ipBlock || Object.keys(peer).length !== 1) return JSON.stringify(peer);
    if (peer.podSelector) {
      const labels = peer.podSelector.matchLabels ?? {};
      const component = labels["app.kubernetes.io/component"];
      const ours = sameLabels(labels, { ...COMPONENT_LABELS, "app.kubernetes.io/component": component });
      return ours ? `pods ${component}` : JSON.stringify(peer);
    }
    const labels = Object.entries(peer.namespaceSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
    return `namespaces ${labels.join(",")}`;
  });
  const ports = (rule.ports ?? []).map((p) => `${p.port}/${p.protocol ?? "TCP"}`).sort();
  return `${peers.length > 0 ? peers.join(" ") : "anywhere"}: ${ports.join(" ")}`;
}

describe("daemonset: security", function () {
  this.timeout(60000);

  for (const overlay of OVERLAYS) {
    describe(`overlays/${overlay}`, () => {
      const objects = (): K8sObject[] => rendered(overlay);

      it("runs nothing privileged, and nothing that may gain privileges", () => {
        for (const { workload, container } of containersOf(objects())) {
          const sc = container.securityContext ?? {};
          assert.notEqual(sc.privileged, true, `${workload}/${container.name}`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${workload}/${container.name}`);
        }
      });

      it("drops every capability; only the agent adds, and only the four it needs", () => {
        for (const { workload, container } of containersOf(objects())) {
          const caps = container.securityContext?.capabilities ?? {};
          assert.deepEqual(caps.drop, ["ALL"], `${workload}/${container.name}`);
          const expected = workload === "driftguard-agent" ? AGENT_CAPABILITIES : [];
          assert.deepEqual([...(caps.add ?? [])].sort(), expected, `${workload}/${container.name}`);
        }
      });

      it("uses the runtime's seccomp profile everywhere", () => {
        for (const w of workloads(objects())) {
          for (const container of w.pod.containers) {
            const profile = container.securityContext?.seccompProfile ?? w.pod.securityContext?.seccompProfile;
            assert.equal(profile?.type, "RuntimeDefault", `${w.name}/${container.name}`);
          }
        }
      });

      it("mounts read-only everything but the state it must write, on a read-only root", () => {
        for (const { workload, container } of containersOf(objects())) {
          assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${workload}/${container.name}`);
          for (const mount of container.volumeMounts ?? []) {
            if (WRITABLE[workload]?.includes(mount.mountPath)) continue;
            assert.equal(mount.readOnly, true, `${workload}/${container.name} ${mount.mountPath}`);
          }
        }
      });

      it("sets CPU and memory requests and limits on every container", () => {
        for (const { workload, container } of containersOf(objects())) {
          for (const kind of ["requests", "limits"] as const) {
            const set = container.resources?.[kind] ?? {};
            assert.ok(set.cpu !== undefined && set.memory !== undefined, `${workload}/${container.name} ${kind}`);
          }
        }
      });

      it("gives no pod an API token, nobody API permissions, the agent one token for the collector only", () => {
        for (const w of workloads(objects())) assert.equal(w.pod.automountServiceAccountToken, false, w.name);
        for (const sa of objects().filter((o) => o.kind === "ServiceAccount")) {
          assert.equal(sa.automountServiceAccountToken, false, sa.metadata.name);
        }
        const rbac = objects().filter((o) => o.apiVersion.startsWith("rbac.authorization.k8s.io/"));
        assert.deepEqual(
          rbac.map((o) => `${o.kind}/${o.metadata.name}`),
          [],
        );
        // A projected token for any audience but the API server's is refused by the API server.
        const tokens = workloads(objects()).flatMap((w) =>
          (w.pod.volumes ?? []).flatMap((v) =>
            (v.projected?.sources ?? []).flatMap((s) =>
              s.serviceAccountToken ? [{ w: w.name, ...s.serviceAccountToken }] : [],
            ),
          ),
        );
        assert.deepEqual(
          tokens.map((t) => [t.w, t.audience]),
          [["driftguard-agent", "driftguard-collector"]],
        );
        const lifetime = tokens[0].expirationSeconds ?? 3600;
        assert.ok(lifetime >= 600 && lifetime <= 86_400, `the collector refuses tokens living over a day: ${lifetime}`);
      });

      it("shares host namespaces and host paths only with the agent, and only hostPID and its state dir", () => {
        for (const w of workloads(objects())) {
          assert.equal(w.pod.hostNetwork ?? false, false, w.name);
          assert.equal(w.pod.hostIPC ?? false, false, w.name);
          assert.equal(w.pod.hostPID ?? false, w.name === "driftguard-agent", w.name);
          const hostPaths = (w.pod.volumes ?? []).filter((v) => v.hostPath).map((v) => v.hostPath?.path);
          assert.deepEqual(hostPaths, w.name === "driftguard-agent" ? ["/var/lib/driftguard"] : [], w.name);
        }
      });

      it("runs the agent on every node (every taint tolerated), first, and never evicts it", () => {
        const pod = podOf(agentDaemonSet(objects()));
        assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
        assert.equal(pod.priorityClassName, "system-node-critical");
        assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
      });

      it("updates the agent one node at a time, the new agent Ready beside the old before the old leaves", () => {
        const spec = agentDaemonSet(objects()).spec;
        assert.equal(spec?.updateStrategy?.type, "RollingUpdate");
        assert.equal(spec?.updateStrategy?.rollingUpdate?.maxUnavailable, 0);
        assert.equal(spec?.updateStrategy?.rollingUpdate?.maxSurge, 1);
        assert.ok((spec?.minReadySeconds ?? 0) > 0);
      });

      it("probes every container's health endpoint: /readyz for readiness, /healthz for liveness", () => {
        for (const { workload, container } of containersOf(objects())) {
          assert.equal(container.readinessProbe?.httpGet?.path, "/readyz", `${workload}/${container.name}`);
          assert.equal(container.livenessProbe?.httpGet?.path, "/healthz", `${workload}/${container.name}`);
        }
      });

      it("labels the agent super_t for Bottlerocket's SELinux, which it cannot have when privileged", () => {
        const sc = onlyContainer(podOf(agentDaemonSet(objects()))).securityContext;
        assert.equal(sc?.seLinuxOptions?.type, "super_t");
        assert.notEqual(sc?.privileged, true);
      });

      it("holds the collector to Pod Security 'restricted'", () => {
        const pod = podOf(collectorDeployment(objects()));
        assert.equal(pod.securityContext?.runAsNonRoot, true);
        assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, "runAsUser");
        for (const container of pod.containers) {
          assert.notEqual(container.securityContext?.runAsUser, 0);
          assert.equal(container.securityContext?.seLinuxOptions, undefined);
        }
        const allowed = ["configMap", "secret", "emptyDir", "projected", "downwardAPI", "persistentVolumeClaim"];
        for (const v of pod.volumes ?? []) {
          const types = Object.keys(v).filter((k) => k !== "name");
          assert.ok(
            types.every((t) => allowed.includes(t)),
            `volume ${v.name}: ${types.join(",")}`,
          );
        }
      });

      it("labels the namespace privileged for Pod Security Admission, the agent's level", () => {
        const labels = find(objects(), "Namespace", "driftguard").metadata.labels ?? {};
        assert.equal(labels["pod-security.kubernetes.io/enforce"], "privileged");
      });

      it("puts certificates and tokens in Secrets, never the CA's key", () => {
        const secrets = objects().filter((o) => o.kind === "Secret") as (K8sObject & {
          data: Record<string, string>;
        })[];
        const shapes = Object.fromEntries(
          secrets.map((s) => [s.metadata.name.replace(/-[a-z0-9]{10}$/, ""), Object.keys(s.data).sort()]),
        );
        assert.deepEqual(shapes, {
          "driftguard-agent-tls": ["ca.crt", "tls.crt", "tls.key"],
          "driftguard-collector-tls": ["ca.crt", "tls.crt", "tls.key"],
          "driftguard-reviewer-tokens": ["tokens"],
        });
        const caCert = (name: string) => secrets.find((s) => s.metadata.name.startsWith(name))?.data["ca.crt"];
        for (const s of secrets) {
          for (const [key, value] of Object.entries(s.data)) {
            const text = Buffer.from(value, "base64").toString("utf8");
            assert.equal(/PRIVATE KEY/.test(text), key === "tls.key", `${s.metadata.name} ${key}`);
          }
        }
        assert.equal(caCert("driftguard-agent-tls"), caCert("driftguard-collector-tls"), "one CA");
      });

      it("denies all traffic but the agents' to the collector, DNS, the issuer's keys, reviewers' and Prometheus'", () => {
        const all = objects().filter((o) => o.kind === "NetworkPolicy") as NetworkPolicy[];
        const deny = all.find((p) => Object.keys(p.spec.podSelector).length === 0);
        assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        const rules = (labels: Record<string, string>, direction: "ingress" | "egress"): string[] =>
          policiesFor(objects(), labels)
            .filter((p) => p !== deny)
            .flatMap((p) => p.spec[direction] ?? [])
            .map(ruleSummary)
            .sort();
        assert.deepEqual(rules(AGENT, "ingress"), ["namespaces driftguard.dev/metrics-access=true: 9464/TCP"]);
        assert.deepEqual(rules(AGENT, "egress"), ["anywhere: 53/TCP 53/UDP", "pods collector: 7443/TCP"]);
        assert.deepEqual(rules(COLLECTOR, "ingress"), [
          "namespaces driftguard.dev/metrics-access=true: 9465/TCP",
          "namespaces driftguard.dev/reviewer-access=true: 7443/TCP 7444/TCP",
          "pods agent: 7443/TCP",
        ]);
        // The OIDC issuer's keys (HTTPS) and DNS; PostgreSQL's port with that overlay.
        const collectorEgress = ["anywhere: 443/TCP", "anywhere: 53/TCP 53/UDP"];
        if (overlay === "postgres") collectorEgress.push("anywhere: 5432/TCP");
        assert.deepEqual(rules(COLLECTOR, "egress"), collectorEgress);
      });

      if (overlay === "postgres") {
        it("runs two or more collectors on PostgreSQL, the URL from a Secret, no volume", () => {
          const deployment = collectorDeployment(objects());
          assert.ok((deployment.spec?.replicas ?? 1) >= 2);
          assert.equal(deployment.spec?.strategy?.type, "RollingUpdate");
          assert.equal(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable, 0);
          const db = onlyContainer(podOf(deployment)).env?.find((e) => e.name === "DRIFTGUARD_DB");
          assert.deepEqual(db, {
            name: "DRIFTGUARD_DB",
            valueFrom: { secretKeyRef: { name: "driftguard-collector-db", key: "url" } },
          });
          assert.equal(
            objects().some((o) => o.kind === "PersistentVolumeClaim"),
            false,
          );
          find(objects(), "PodDisruptionBudget", "driftguard-collector");
        });
      } else {
        it("runs one collector on SQLite, stopped before the next starts (one writer)", () => {
          const deployment = collectorDeployment(objects());
          assert.equal(deployment.spec?.replicas, 1);
          assert.equal(deployment.spec?.strategy?.type, "Recreate");
          const claim = podOf(deployment).volumes?.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim;
          find(objects(), "PersistentVolumeClaim", claim?.claimName ?? "(none)");
        });
      }
    });
  }
});
