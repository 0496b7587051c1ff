// Which bind mounts expose the host, table-driven: the place itself, what contains it, what
// lies inside it (all of it, or only writable mounts), the runtime's sockets, and the
// kubelet's and runtime's own per-pod mounts, which are not host paths of the workload.
import * as assert from "node:assert/strict";

import { exposingMounts } from "../../../src/posture/sensitiveMounts";
import type { OciMount } from "../../../src/runtime/types";
import { bind, TEST_HOST } from "./specs";

const POD = "0b7f4a2e-0000-4000-8000-000000000001";

const ROWS: [string, OciMount, string | undefined][] = [
  ["the host's root", bind("/", "/host", "ro"), "posture_sensitive_mount"],
  ["a parent of a sensitive place (/var holds /var/lib/kubelet)", bind("/var", "/v", "ro"), "posture_sensitive_mount"],
  ["/etc read-only", bind("/etc", "/host-etc", "ro"), "posture_sensitive_mount"],
  ["a file in /etc, read-only (resolv.conf)", bind("/etc/resolv.conf", "/etc/resolv.conf", "ro"), undefined],
  [
    "a directory in /etc, writable (CNI config)",
    bind("/etc/cni/net.d", "/host/etc/cni/net.d"),
    "posture_sensitive_mount",
  ],
  ["root's home, read-only, anything in it", bind("/root/.ssh", "/ssh", "ro"), "posture_sensitive_mount"],
  ["another pod's volumes", bind("/var/lib/kubelet/pods/other/volumes/x", "/x", "ro"), "posture_sensitive_mount"],
  ["its own pod's volume", bind(`/var/lib/kubelet/pods/${POD}/volumes/kubernetes.io~empty-dir/d`, "/d"), undefined],
  ["its own pod's hosts file", bind(`/var/lib/kubelet/pods/${POD}/etc-hosts`, "/etc/hosts"), undefined],
  [
    "the CRI sandbox's hostname file",
    bind("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/hostname", "/etc/hostname"),
    undefined,
  ],
  ["containerd's state", bind("/var/lib/containerd", "/c", "ro"), "posture_sensitive_mount"],
  [
    "the configured runtime root (a test bed's)",
    bind("/tmp/driftguard-containerd-X/root/x", "/c", "ro"),
    "posture_sensitive_mount",
  ],
  ["/proc read-only (node exporter)", bind("/proc", "/host/proc", "ro"), "posture_sensitive_mount"],
  ["a file under /sys, read-only", bind("/sys/class/net", "/n", "ro"), undefined],
  ["/sys/fs/bpf writable", bind("/sys/fs/bpf", "/sys/fs/bpf"), "posture_sensitive_mount"],
  ["a device, writable", bind("/dev/kvm", "/dev/kvm"), "posture_sensitive_mount"],
  ["containerd's socket", bind("/run/containerd/containerd.sock", "/s", "ro"), "posture_runtime_socket"],
  ["docker's socket through /var/run", bind("/var/run/docker.sock", "/var/run/docker.sock"), "posture_runtime_socket"],
  ["a directory holding a socket", bind("/run/containerd", "/rc"), "posture_runtime_socket"],
  ["/run, which holds them", bind("/run/", "/hostrun", "ro"), "posture_runtime_socket"],
  ["the configured socket (a test bed's)", bind(TEST_HOST.runtimeSockets[0], "/s"), "posture_runtime_socket"],
  ["a log dir", bind("/var/log", "/var/log"), undefined],
  ["the xtables lock", bind("/run/xtables.lock", "/run/xtables.lock"), undefined],
  ["not a bind mount", { destination: "/proc", type: "proc", source: "proc", options: [] }, undefined],
  ["a relative source", bind("etc", "/e"), undefined],
];

describe("exposingMounts", () => {
  for (const [name, mount, reason] of ROWS) {
    it(`${name}: ${reason ?? "none"}`, () => {
      const found = exposingMounts([mount], TEST_HOST, POD);
      assert.deepEqual(
        found.map((f) => f.reason),
        reason ? [reason] : [],
      );
    });
  }

  it("without a pod uid (a ctr container), kubelet's pod dirs are somebody else's", () => {
    const mount = bind(`/var/lib/kubelet/pods/${POD}/volumes/v`, "/v");
    assert.equal(exposingMounts([mount], TEST_HOST).length, 1);
  });
});
