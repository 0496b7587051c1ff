// A node as the kubelet sees it, for tests: containerd with its CRI plugin (namespace
// k8s.io, a sandbox image imported locally, host network: there is no CNI here), a pods
// dir and a pod log dir, and pods run through CRI the way the kubelet runs them (see
// kubeletPod.ts). Removes everything it made in stop(), also after a failed test.
//
// Differences from an EKS node, and why:
// - cgroup: this machine is hybrid (cgroup v1, cgroup2 at /sys/fs/cgroup/unified), where
//   containerd gives containers no cgroup namespace. A runc wrapper adds the one it adds
//   on cgroup v2 nodes (addCgroupNamespace.ts); runc then unshares it after joining the
//   container's cgroups, as on v2, but the container's own /sys/fs/cgroup holds v1
//   hierarchies. The cgroupfs driver (kubelet's default) names cgroups /kubepods/....
// - network: pods share the host's network; their ports are moved to free ones (PortMap).
// - pid 1 of this machine is a sandbox's init nobody may inspect: the agent is pointed at
//   the test process instead (manifestPods.ts).
// - SELinux and AppArmor are off (the plugin is told so): Debian has neither enforcing.
// - CAP_SYS_RESOURCE is missing here, hence restrict_oom_score_adj.
// - The cluster's OIDC issuer is a TestIssuer: the kube node signs projected
//   serviceAccountToken volumes with its keys (never renewed: tests last minutes), and the
//   collector reads its keys from a ConfigMap file (manifestPods.ts, withClusterIssuer)
//   instead of fetching them from EKS's issuer.
import * as fs from "node:fs";
import * as path from "node:path";

import { errorMessage } from "../../../src/util/errorMessage";
import { ContainerdTestBed } from "../ContainerdTestBed";
import { CriClient } from "../cri/CriClient";
import { buildOciImage, busyboxLayer } from "../ociImage";
import { removeEmptyKubepods, removePodCgroups } from "./podCgroups";
import { ServicePorts } from "./PortMap";

export const SANDBOX_IMAGE = "test.local/pause:1";
const ADD_CGROUP_NAMESPACE = path.join(__dirname, "addCgroupNamespace.js");

export class KubeNode {
  readonly cri: CriClient;
  /** The kubelet's pods dir (--root-dir/pods): pod volumes live under it. */
  readonly podsDir: string;
  /** /var/log/pods: container logs in CRI format. */
  readonly logsDir: string;
  /** Host dirs standing in for the node's hostPath volumes (under the bed's dir). */
  readonly hostDir: string;
  /** Service ports: each leads to the pod that declared the port first. */
  readonly services = new ServicePorts();
  /** Pod sandbox ids and pod uids this node made (for stop()). */
  readonly sandboxes = new Map<string, string>();

  private constructor(readonly containerd: ContainerdTestBed) {
    this.cri = new CriClient(containerd.address);
    this.podsDir = path.join(containerd.dir, "kubelet", "pods");
    this.logsDir = path.join(containerd.dir, "log", "pods");
    this.hostDir = path.join(containerd.dir, "host");
    for (const dir of [this.podsDir, this.logsDir, this.hostDir]) fs.mkdirSync(dir, { recursive: true });
  }

  static async start(): Promise<KubeNode> {
    const containerd = await ContainerdTestBed.start({ namespace: "k8s.io", cri: criConfig });
    try {
      const node = new KubeNode(containerd);
      const pause = buildOciImage(containerd.dir, SANDBOX_IMAGE, [busyboxLayer()], ["/bin/sleep", "2147483647"]);
      await containerd.importImage(pause.archive);
      return node;
    } catch (error) {
      await containerd.stop().catch(() => undefined);
      throw error;
    }
  }

  /** Imports an OCI archive into k8s.io, where the CRI plugin finds it by name. */
  async importImage(archive: string): Promise<void> {
    await this.containerd.importImage(archive);
  }

  /** A host path for a hostPath volume or a file the agent is pointed at: under the bed. */
  hostPath(nodePath: string): string {
    return path.join(this.hostDir, nodePath);
  }

  /** Stops and removes every pod through CRI, then containerd and everything on disk. */
  async stop(): Promise<void> {
    const problems: string[] = [];
    for (const [sandbox, uid] of this.sandboxes) {
      await this.cri.stopPodSandbox(sandbox).catch((e: unknown) => problems.push(errorMessage(e)));
      await this.cri.removePodSandbox(sandbox).catch((e: unknown) => problems.push(errorMessage(e)));
      removePodCgroups(uid);
    }
    this.cri.close();
    await this.containerd.stop().catch((e: unknown) => problems.push(errorMessage(e)));
    removeEmptyKubepods();
    if (problems.length > 0) throw new Error(`kube node clean-up incomplete: ${problems.join("; ")}`);
  }
}

/** The CRI plugin's configuration, with the runc wrapper written beside it. */
function criConfig(dir: string): string {
  const wrapper = path.join(dir, "runc-cgroupns");
  fs.writeFileSync(
    wrapper,
    [
      "#!/bin/sh",
      "# Adds the cgroup namespace containerd's CRI plugin adds on cgroup v2 nodes (addCgroupNamespace.ts).",
      'prev=""; bundle=""; create=""',
      'for a in "$@"; do',
      '  case "$prev" in --bundle|-b) bundle="$a" ;; esac',
      '  [ "$a" = create ] && create=1',
      '  prev="$a"',
      "done",
      `if [ -n "$create" ] && [ -n "$bundle" ]; then "${process.execPath}" "${ADD_CGROUP_NAMESPACE}" "$bundle/config.json" || exit 1; fi`,
      'exec runc "$@"',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const cri = '[plugins."io.containerd.grpc.v1.cri"]';
  return [
    cri,
    `  sandbox_image = "${SANDBOX_IMAGE}"`,
    "  restrict_oom_score_adj = true",
    "  enable_selinux = false",
    "  disable_apparmor = true",
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `${cri.slice(0, -1)}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `${cri.slice(0, -1)}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `${cri.slice(0, -1)}.containerd.runtimes.runc.options]`,
    `  BinaryName = "${wrapper}"`,
    "  SystemdCgroup = false",
    `${cri.slice(0, -1)}.cni]`,
    `  bin_dir = "${path.join(dir, "cni", "bin")}"`,
    `  conf_dir = "${path.join(dir, "cni", "conf")}"`,
  ].join("\n");
}
