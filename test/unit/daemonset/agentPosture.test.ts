// driftguard's own agent, as its DaemonSet asks containerd's CRI plugin to run it, gets no
// posture finding from the policies each install ships: every property its pod spec
// gives it (host PID, its added capabilities, SELinux super_t, its state hostPath) is
// allowed by driftguard-agent-node, by name and with a reason. A capability added to the
// DaemonSet without its exception here makes the agent report itself.
import * as assert from "node:assert/strict";

import { applyPosturePolicy } from "../../../src/posture/applyPosturePolicy";
import { capabilityName } from "../../../src/posture/capabilities";
import { judgePosture } from "../../../src/posture/judgePosture";
import { posturePolicyOf } from "../../../src/policy/posturePolicy";
import { resolvePolicy } from "../../../src/policy/resolve";
import type { SecuritySpec } from "../../../src/runtime/securitySpec";
import type { OciMount } from "../../../src/runtime/types";
import { bind, plainMounts, plainSpec, TEST_HOST } from "../posture/specs";
import { installedPolicies } from "./installedPolicies";
import { OVERLAYS, rendered } from "./kustomize";
import { agentDaemonSet, onlyContainer, podOf, type IContainer, type IPodSpec } from "./workloads";

/** The spec's security facts as containerd 1.6's CRI plugin writes them for this pod's container. */
function criSpec(pod: IPodSpec, container: IContainer): SecuritySpec {
  const sc = container.securityContext ?? {};
  const caps = sc.capabilities ?? {};
  const dropAll = (caps.drop ?? []).some((c) => c.toUpperCase() === "ALL");
  const base = dropAll ? [] : plainSpec().bounding!;
  const selinux = sc.seLinuxOptions ?? pod.securityContext?.seLinuxOptions;
  const shared = { pid: pod.hostPID, ipc: pod.hostIPC, network: pod.hostNetwork };
  return plainSpec({
    uid: sc.runAsUser ?? pod.securityContext?.runAsUser ?? 0,
    noNewPrivileges: sc.allowPrivilegeEscalation === false,
    bounding: [...new Set([...base, ...(caps.add ?? []).map(capabilityName)])],
    selinuxLabel: selinux ? [selinux.user, selinux.role, selinux.type, selinux.level].join(":") : "",
    // A namespace the pod shares with the host is left out of the spec.
    namespaces: ["pid", "ipc", "uts", "mount", "network"]
      .filter((type) => !shared[type as keyof typeof shared])
      .map((type) => ({ type })),
    seccomp: sc.seccompProfile?.type === "RuntimeDefault" ? { defaultAction: "SCMP_ACT_ERRNO", rules: 300 } : undefined,
  });
}

/** Its hostPath volumes as bind mounts (the others live in the pod's own kubelet dir). */
function hostMounts(pod: IPodSpec, container: IContainer): OciMount[] {
  return (container.volumeMounts ?? []).flatMap((m) => {
    const hostPath = pod.volumes?.find((v) => v.name === m.name)?.hostPath?.path;
    return hostPath ? [bind(hostPath, m.mountPath, m.readOnly ? "ro" : "rw")] : [];
  });
}

describe("daemonset: the agent's own posture", function () {
  this.timeout(60000);

  for (const overlay of OVERLAYS) {
    it(`overlays/${overlay}: every property of the agent's pod is allowed, each with its reason`, () => {
      const daemonSet = agentDaemonSet(rendered(overlay));
      const pod = podOf(daemonSet);
      const container = onlyContainer(pod);
      const properties = judgePosture({
        spec: criSpec(pod, container),
        mounts: [...plainMounts(), ...hostMounts(pod, container)],
        host: TEST_HOST,
        podUid: "agent-pod-uid",
      });
      const workload = {
        namespace: daemonSet.metadata?.namespace,
        podLabels: daemonSet.spec?.template.metadata?.labels ?? {},
        image: container.image ?? "",
        container: container.name,
      };
      const resolution = resolvePolicy(workload, installedPolicies(rendered(overlay)), {
        defaultMode: overlay === "enforce" ? "enforce" : "audit",
        nowMs: Date.now(),
      });
      assert.equal(resolution.name, "driftguard-agent-node");
      const outcome = applyPosturePolicy(properties, posturePolicyOf(resolution));
      assert.deepEqual(
        outcome.reported.map((p) => `${p.reason}: ${p.value}`),
        [],
        "the agent reports nothing of itself",
      );
      assert.deepEqual(outcome.allowed.map((a) => a.property.reason).sort(), [
        "posture_capabilities",
        "posture_host_pid",
        "posture_unconfined_lsm",
      ]);
    });
  }
});
