// The DRIFTGUARD_* variables of the manifests are flags the agent and the collector know,
// with values their own parsers accept, and the files they name are where the pod mounts
// them: a renamed flag, a moved mount or a changed Secret key breaks these tests.
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";

import { agentArgs, agentConfigFromArgs } from "../../../src/cli/agentCommand";
import { collectorConfigFromArgs } from "../../../src/cli/collectorCommand";
import { DEFAULT_AGENT_SERVICE_ACCOUNT } from "../../../src/collector/CollectorTrust";
import { TokenFile } from "../../../src/collector/auth/TokenFile";
import { parseListenAddress } from "../../../src/metrics/listenAddress";
import { OVERLAYS, find, rendered, type K8sObject } from "./kustomize";
import {
  agentDaemonSet,
  collectorDeployment,
  envOf,
  flagArgv,
  mountHolding,
  onlyContainer,
  podOf,
  volume,
  type IContainer,
  type IPodSpec,
} from "./workloads";

/** Test values of the variables that come from the downward API or a Secret. */
const FROM_ELSEWHERE = {
  DRIFTGUARD_NODE_NAME: "ip-10-0-1-23.eu-west-1.compute.internal",
  DRIFTGUARD_DB: "postgres://driftguard:secret@db.example.internal:5432/driftguard",
};

/** The Secret or ConfigMap behind the volume that holds file, and the key file names. */
function sourceOf(pod: IPodSpec, container: IContainer, file: string) {
  const mount = mountHolding(container, file);
  const v = volume(pod, mount.name);
  const key = file.slice(mount.mountPath.length + 1);
  if (v.secret) return { kind: "Secret", name: v.secret.secretName ?? "", key, mount };
  if (v.configMap) return { kind: "ConfigMap", name: v.configMap.name ?? "", key, mount };
  return { kind: Object.keys(v).find((k) => k !== "name") ?? "", name: "", key, mount };
}

/** A container's ports by name. */
function portsOf(container: IContainer): Record<string, number> {
  return Object.fromEntries((container.ports ?? []).map((p) => [p.name ?? "", p.containerPort]));
}

function dataOf(objects: K8sObject[], kind: string, name: string): Record<string, string> {
  return (find(objects, kind, name) as K8sObject & { data: Record<string, string> }).data;
}

describe("daemonset: agent and collector flags", function () {
  this.timeout(60000);

  for (const overlay of OVERLAYS) {
    describe(`overlays/${overlay}`, () => {
      const objects = (): K8sObject[] => rendered(overlay);

      it("configures the agent with flags it knows and values it accepts", () => {
        const container = onlyContainer(podOf(agentDaemonSet(objects())));
        assert.deepEqual(container.args, ["agent"]);
        const {
          agent: config,
          policyDir,
          reporter,
          metricsAddress,
        } = agentArgs(flagArgv(container, FROM_ELSEWHERE), {});
        assert.equal(config.mode, overlay === "enforce" ? "enforce" : "audit");
        assert.equal(config.failMode, "open");
        assert.deepEqual(config.namespaces, ["k8s.io"]);
        assert.equal(config.nodeName, FROM_ELSEWHERE.DRIFTGUARD_NODE_NAME);
        // Host paths, opened by the agent through /proc/1/root: never mounted.
        assert.equal(config.containerdAddress, "/proc/1/root/run/containerd/containerd.sock");
        assert.equal(config.containerdRoot, "/var/lib/containerd");
        assert.equal(config.kubeletPodsDir, "/var/lib/kubelet/pods");
        assert.equal(policyDir, "/etc/driftguard/policies");
        assert.equal(reporter?.address, "driftguard-collector:7443");
        assert.equal(reporter?.insecure, false);
        assert.equal(metricsAddress?.host, undefined, "the pod's address, where the kubelet probes");
        assert.deepEqual(portsOf(container), { metrics: metricsAddress?.port });
      });

      it("keeps the agent's state on the node's disk, writable", () => {
        const pod = podOf(agentDaemonSet(objects()));
        const container = onlyContainer(pod);
        const { stateDir } = agentConfigFromArgs(flagArgv(container, FROM_ELSEWHERE), {});
        const mount = mountHolding(container, stateDir);
        assert.equal(mount.readOnly, false);
        assert.equal(mount.mountPath, stateDir);
        assert.equal(volume(pod, mount.name).hostPath?.path, stateDir);
      });

      it("points the agent at the policies ConfigMap, mounted whole (a subPath would not update)", () => {
        const pod = podOf(agentDaemonSet(objects()));
        const container = onlyContainer(pod);
        const dir = envOf(container, "DRIFTGUARD_POLICY_DIR")?.value ?? "";
        const mount = (container.volumeMounts ?? []).find((m) => m.mountPath === dir);
        assert.ok(mount && mount.subPath === undefined, `nothing mounted at ${dir}`);
        assert.equal(volume(pod, mount.name).configMap?.name, "driftguard-policies");
      });

      it("gives the agent its certificate, key and the CA from the agent Secret", () => {
        const pod = podOf(agentDaemonSet(objects()));
        const container = onlyContainer(pod);
        for (const name of ["DRIFTGUARD_COLLECTOR_CA", "DRIFTGUARD_AGENT_CERT", "DRIFTGUARD_AGENT_KEY"]) {
          const source = sourceOf(pod, container, envOf(container, name)?.value ?? "");
          assert.equal(source.kind, "Secret", name);
          assert.match(source.name, /^driftguard-agent-tls-/, name);
          assert.ok(source.key in dataOf(objects(), "Secret", source.name), `${name}: no key ${source.key}`);
        }
      });

      it("gives the agent its pod's token for the collector, projected where the flag points", () => {
        const pod = podOf(agentDaemonSet(objects()));
        const container = onlyContainer(pod);
        const { reporter } = agentArgs(flagArgv(container, FROM_ELSEWHERE), {});
        const file = reporter?.tokenFile ?? "(none)";
        const mount = mountHolding(container, file);
        assert.equal(mount.readOnly, true);
        const sources = volume(pod, mount.name).projected?.sources ?? [];
        const token = sources.find((s) => s.serviceAccountToken?.path === file.slice(mount.mountPath.length + 1));
        assert.equal(token?.serviceAccountToken?.audience, "driftguard-collector", file);
      });

      it("binds agents to nodes: the collector checks tokens of the agents' cluster and ServiceAccount", () => {
        const agentPod = podOf(agentDaemonSet(objects()));
        const { reporter } = agentArgs(flagArgv(onlyContainer(agentPod), FROM_ELSEWHERE), {});
        const config = collectorConfigFromArgs(
          flagArgv(onlyContainer(podOf(collectorDeployment(objects()))), FROM_ELSEWHERE),
          {},
        );
        assert.match(config.agentToken?.issuer ?? "", /^https:\/\//);
        assert.equal(
          config.agentToken?.cluster,
          reporter?.clusterName,
          "the agents report for the cluster the collector expects",
        );
        const sa = config.agentToken?.serviceAccount ?? DEFAULT_AGENT_SERVICE_ACCOUNT;
        const agentSa = find(objects(), "ServiceAccount", agentPod.serviceAccountName ?? "default");
        assert.equal(sa, `${agentSa.metadata.namespace}/${agentSa.metadata.name}`);
      });

      it("configures the collector with flags it knows, TLS on and its files mounted", () => {
        const pod = podOf(collectorDeployment(objects()));
        const container = onlyContainer(pod);
        assert.deepEqual(container.args, ["collector"]);
        const config = collectorConfigFromArgs(flagArgv(container, FROM_ELSEWHERE), {});
        assert.equal(config.insecure, false);
        const listen = (address: string | undefined) => {
          const parsed = parseListenAddress(address ?? "", "address");
          if (typeof parsed === "string") assert.fail(parsed);
          return parsed.port;
        };
        assert.deepEqual(portsOf(container), {
          grpc: listen(config.listen),
          web: listen(config.webListen),
          metrics: listen(config.metricsAddress),
        });
        const service = find(objects(), "Service", "driftguard-collector") as K8sObject & {
          spec: { ports: { name: string; port: number; targetPort: string }[] };
        };
        assert.deepEqual(
          service.spec.ports.map((p) => [p.name, p.port, p.targetPort]),
          [
            ["grpc", listen(config.listen), "grpc"],
            ["web", listen(config.webListen), "web"],
          ],
          "the API and the review page; metrics stay off the Service",
        );
        for (const file of [config.tls?.certFile, config.tls?.keyFile, config.tls?.clientCaFile, config.tokensFile]) {
          const source = sourceOf(pod, container, file ?? "(none)");
          assert.equal(source.kind, "Secret", file);
          assert.ok(source.key in dataOf(objects(), "Secret", source.name), `${file}: no key ${source.key}`);
        }
        const tokens = sourceOf(pod, container, config.tokensFile ?? "");
        const text = Buffer.from(dataOf(objects(), "Secret", tokens.name)[tokens.key], "base64").toString();
        assert.equal(TokenFile.parse(text).size, 1);
        if (overlay === "postgres") {
          assert.equal(config.db, FROM_ELSEWHERE.DRIFTGUARD_DB);
        } else {
          const file = config.db.replace(/^sqlite:/, "");
          const mount = mountHolding(container, file);
          assert.equal(mount.readOnly, false);
          assert.ok(volume(pod, mount.name).persistentVolumeClaim, "the SQLite file is on the volume claim");
        }
      });

      it("serves the collector under the name and port the agents dial, in its certificate", () => {
        const agent = onlyContainer(podOf(agentDaemonSet(objects())));
        const [host, port] = (envOf(agent, "DRIFTGUARD_COLLECTOR_ADDRESS")?.value ?? "").split(":");
        const service = find(objects(), "Service", host) as K8sObject & { spec: { ports: { port: number }[] } };
        assert.ok(service.spec.ports.some((p) => p.port === Number(port)));
        const secret = objects().find(
          (o) => o.kind === "Secret" && o.metadata.name.startsWith("driftguard-collector-tls-"),
        );
        const pem = Buffer.from((secret as K8sObject & { data: Record<string, string> }).data["tls.crt"], "base64");
        const names = new X509Certificate(pem).subjectAltName ?? "";
        // localhost: reviewers reach the collector through `kubectl port-forward`.
        for (const name of [host, "localhost"]) assert.match(names, new RegExp(`DNS:${name}(,|$)`));
      });
    });
  }

  it("a variable that is no flag fails (a renamed flag breaks the manifests' test)", () => {
    const container = { name: "agent", env: [{ name: "DRIFTGUARD_CONTAINERD_SOCKET", value: "/run/x.sock" }] };
    assert.throws(() => agentConfigFromArgs(flagArgv(container), {}), /unknown option --containerd-socket/);
  });
});
