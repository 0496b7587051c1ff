// What test:deployed's checks share: the kube node, the built image, the collector and the
// agent from the rendered enforce overlay, the workload image, and the agent's log lines.
// One bed for the whole run: the image build and the pods take minutes.
import * as fs from "node:fs";

import { buildTestProgram } from "../integration/bpf/sensorHelpers";
import type { Finding, LogLine } from "../testbed/AgentProcess";
import { driftguardImage, IMAGE_REPOSITORY, removeDriftguardImage } from "../testbed/image/DriftguardImage";
import { KubeNode } from "../testbed/kube/KubeNode";
import { manifestEnvironment, podOf, withClusterIssuer, type ManifestObject } from "../testbed/kube/manifestPods";
import type { Pod } from "../testbed/kube/podTypes";
import { RunningPod, type PodEnvironment } from "../testbed/kube/RunningPod";
import { buildOciImage, busyboxLayer, scratchDir } from "../testbed/ociImage";
import { TestIssuer } from "../testbed/testIssuer";
import { DaemonsetCopy } from "../unit/daemonset/kustomize";

export const SHOP_IMAGE = "test.local/shop:1";
export const SCRIPT = "#!/bin/sh\necho script-ran\n";

/** A workload pod as a user would write it: seccomp RuntimeDefault, an emptyDir and a ConfigMap. */
export function shopPod(name: string, labels: Record<string, string>): Pod {
  return {
    metadata: { name, namespace: "production", labels: { app: "shop", ...labels } },
    spec: {
      securityContext: { seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "web",
          image: SHOP_IMAGE,
          command: ["/bin/sleep", "1000000"],
          securityContext: { allowPrivilegeEscalation: false },
          volumeMounts: [
            { name: "cache", mountPath: "/cache" },
            { name: "scripts", mountPath: "/scripts", readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "cache", emptyDir: {} },
        { name: "scripts", configMap: { name: "shop-scripts", defaultMode: 0o755 } },
      ],
    },
  };
}

export class DeployedBed {
  readonly began = performance.now();
  readonly scratch = scratchDir("deployed");
  readonly issuer = new TestIssuer();
  node!: KubeNode;
  environment!: PodEnvironment;
  copy!: DaemonsetCopy;
  objects!: ManifestObject[];
  collector!: RunningPod;
  /** The agent now guarding the node (the rollout check replaces it). */
  agent!: RunningPod;
  /** Every other pod, deleted at the end. */
  readonly pods: RunningPod[] = [];

  async setUp(): Promise<void> {
    const image = await driftguardImage();
    console.log(`        image: ${JSON.stringify(image.timings)} ms`);
    const node = (this.node = await KubeNode.start());
    await node.containerd.ctr(["images", "import", "--base-name", IMAGE_REPOSITORY, image.archive]);
    const fileless = buildTestProgram("fileless", this.scratch.dir);
    const shop = buildOciImage(this.scratch.dir, SHOP_IMAGE, [
      [...busyboxLayer(), { kind: "file", path: "bin/fileless", content: fs.readFileSync(fileless), mode: 0o755 }],
    ]);
    await node.importImage(shop.archive);
    this.copy = DaemonsetCopy.create();
    this.objects = withClusterIssuer(this.copy.render("enforce"), this.issuer);
    this.environment = manifestEnvironment(node, this.objects, this.issuer);
    this.environment.configMaps.set("shop-scripts", { "run.sh": SCRIPT });
    this.collector = await RunningPod.start(node, this.collectorPod(), this.environment);
    await this.collector.waitReady();
    this.agent = await RunningPod.start(node, this.agentPod(), this.environment);
    await this.agent.waitReady();
  }

  async tearDown(): Promise<void> {
    for (const pod of [...this.pods, this.agent, this.collector]) await pod?.delete(5).catch(() => undefined);
    await this.node?.stop();
    await removeDriftguardImage();
    this.issuer.remove();
    this.scratch.remove();
    console.log(`        whole test (image build included): ${Math.round(performance.now() - this.began)} ms`);
  }

  /** The pod the DaemonSet makes (a fresh copy each time). */
  agentPod(): Pod {
    return podOf(this.objects, "DaemonSet", "driftguard-agent");
  }

  collectorPod(): Pod {
    return podOf(this.objects, "Deployment", "driftguard-collector");
  }

  agentLog(agent = this.agent): LogLine[] {
    return agent.logLines("agent").flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
  }

  findings(): Finding[] {
    return this.agentLog().flatMap((l) => (l.msg === "drift" && l.finding ? [l.finding] : []));
  }

  async waitForLog(match: (l: LogLine) => boolean, timeoutMs = 15_000, agent = this.agent): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.agentLog(agent).find(match);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`agent log: no match; tail:\n${agent.logLines("agent").slice(-10).join("\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The pod's container is attached and its image's baseline is in force. */
  async enforced(pod: RunningPod, agent = this.agent): Promise<void> {
    const id = pod.container("web").id;
    await this.waitForLog((l) => l.msg === "container attached" && l.container === id, 15_000, agent);
    await this.waitForLog((l) => l.msg === "image baseline ready" && l.image === SHOP_IMAGE, 15_000, agent);
  }
}
