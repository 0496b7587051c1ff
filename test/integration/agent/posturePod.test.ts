// The seeds' scenario on containerd's CRI plugin, as the kubelet runs pods (the kube node
// stand-in): `kubectl run` of a pod with securityContext.privileged: true is reported as
// posture_privileged with the pod's identity, once, and the ASFF export carries GuardDuty's
// type for it; the pod's sandbox (pause) is never judged. Pods here share the node's
// network (there is no CNI), so every app container also shows posture_host_network.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, CLI, type Finding } from "../../testbed/AgentProcess";
import { bedAgentArgs } from "../../testbed/agentArgs";
import { startHarness, type Harness } from "../../testbed/collectorHarness";
import { KubeNode } from "../../testbed/kube/KubeNode";
import type { Pod } from "../../testbed/kube/podTypes";
import { RunningPod, type PodEnvironment } from "../../testbed/kube/RunningPod";
import { scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { buildDriftImage } from "./driftImage";

const IMAGE = "test.local/drift:1";

function pod(name: string, privileged: boolean): Pod {
  return {
    metadata: { name, namespace: "shop", labels: { app: name } },
    spec: {
      containers: [{ name: "app", image: IMAGE, command: ["/bin/sleep", "1000000"], securityContext: { privileged } }],
    },
  };
}

describe("container posture of CRI pods (kubelet stand-in) @root", function () {
  this.timeout(180_000);
  const scratch = scratchDir("posture-pod");
  let node: KubeNode | undefined;
  let harness: Harness | undefined;
  let agent: AgentProcess | undefined;
  const pods: RunningPod[] = [];

  const postureOf = (podName: string): Finding[] => agent!.postureFindings().filter((f) => f.k8s.pod === podName);

  before(async () => {
    node = await KubeNode.start();
    await node.containerd.importImage(buildDriftImage(scratch.dir).archive);
    harness = await startHarness();
    const conn = harness.agentConnection();
    // prettier-ignore
    agent = await AgentProcess.start(bedAgentArgs(node.containerd, { mode: "audit", stateDir: path.join(scratch.dir, "state") },
      "--node-name", "node-posture", "--cluster-name", "posture", "--kubelet-pods-dir", node.podsDir,
      "--collector-address", conn.address, "--collector-ca", conn.caFile!,
      "--agent-cert", conn.certFile!, "--agent-key", conn.keyFile!));
    const environment: PodEnvironment = {
      nodeName: "node-posture",
      configMaps: new Map(),
      secrets: new Map(),
      hostPath: (nodePath) => path.join(node!.hostDir, nodePath),
      hosts: [],
      serviceAccountToken: () => "",
    };
    for (const [name, privileged] of [
      ["privileged-pod", true],
      ["plain-pod", false],
    ] as const) {
      pods.push(await RunningPod.start(node, pod(name, privileged), environment));
    }
  });

  after(async () => {
    for (const p of pods) await p.delete(1).catch(() => undefined);
    await agent?.stop();
    await node?.stop();
    await harness?.stop();
    scratch.remove();
  });

  it("reports the privileged pod once, with its identity; the plain pod only the node's network", async () => {
    await agent!.waitFor(() => postureOf("privileged-pod").length >= 2 && postureOf("plain-pod").length >= 1, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const reasons = (name: string) =>
      postureOf(name)
        .map((f) => f.reason)
        .sort();
    assert.deepEqual(reasons("privileged-pod"), ["posture_host_network", "posture_privileged"]);
    assert.deepEqual(reasons("plain-pod"), ["posture_host_network"]);
    const privileged = postureOf("privileged-pod").find((f) => f.reason === "posture_privileged")!;
    assert.deepEqual(privileged.k8s, {
      namespace: "shop",
      pod: "privileged-pod",
      podUid: pods[0].uid,
      container: "app",
    });
    assert.equal(privileged.posture!.guardDuty, "PrivilegeEscalation:Kubernetes/PrivilegedContainer");
    assert.match(privileged.posture!.value, /CAP_SYS_ADMIN; every device allowed; no path masked$/);
    const sandboxes = agent!.postureFindings().filter((f) => !f.k8s.container);
    assert.deepEqual(sandboxes, [], "a pod's sandbox is the runtime's, never judged");
  });

  it("exports the privileged pod's finding with GuardDuty's type (ASFF)", async () => {
    const tokenFile = path.join(harness!.dir, "posture-pod-token");
    fs.writeFileSync(tokenFile, harness!.tokens.reader);
    // prettier-ignore
    const cli = (...args: string[]) => runCommand(process.execPath, [CLI, "findings", ...args,
      "--server", harness!.address, "--ca", harness!.certs.ca.certFile, "--token-file", tokenFile], 30_000);
    const deadline = Date.now() + 30_000;
    let types: string[][] = [];
    while (!types.some((t) => t[0].startsWith("TTPs/Privilege Escalation/")) && Date.now() < deadline) {
      // prettier-ignore
      const out = await cli("export", "--format", "asff", "--aws-account", "123456789012", "--aws-region", "eu-west-1",
        "--pod", "privileged-pod", "--reason", "posture_privileged");
      assert.equal(out.code, 0, out.stderr);
      const lines = out.stdout.split("\n").filter(Boolean);
      types = lines.flatMap((l) => (JSON.parse(l) as { Findings: { Types: string[] }[] }).Findings.map((f) => f.Types));
      if (types.length === 0) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    assert.deepEqual(types, [
      [
        "TTPs/Privilege Escalation/PrivilegeEscalation:Kubernetes-PrivilegedContainer",
        "Software and Configuration Checks/Industry and Regulatory Standards/Kubernetes Pod Security Standards baseline",
      ],
    ]);
  });
});
