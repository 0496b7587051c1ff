// The posture judgement, table-driven: each spec as containerd writes it, and the exact
// properties (reason, spec field, key) it must give, no more.
import * as assert from "node:assert/strict";

import { judgePosture, type PostureFacts, type PostureProperty } from "../../../src/posture/judgePosture";
import { bind, facts, plainMounts, plainSpec, privilegedSpec, TEST_HOST } from "./specs";

type Row = [string, PostureFacts, [string, string, string][]];

const hostPidNamespaces = [{ type: "pid", path: "/proc/self/ns/pid" }, { type: "ipc" }, { type: "network" }];
const shown = (props: PostureProperty[]) => props.map((p) => [p.reason, p.specField, p.key]);

const ROWS: Row[] = [
  // A plain `ctr run`: root with no_new_privs, no seccomp (ctr's default): restricted only.
  ["plain ctr container", facts(), [["posture_no_seccomp", "linux.seccomp", ""]]],
  [
    "plain, with a seccomp profile",
    facts({ spec: plainSpec({ seccomp: { defaultAction: "SCMP_ACT_ERRNO", rules: 300 } }) }),
    [],
  ],
  [
    "privileged: that alone, not what privileged implies (capabilities, /sys, /proc/sys, seccomp)",
    facts({ spec: privilegedSpec(), mounts: plainMounts("rw") }),
    [["posture_privileged", "process.capabilities.bounding, linux.resources.devices", ""]],
  ],
  [
    "all capabilities without every device: capabilities, not privileged",
    facts({ spec: privilegedSpec({ deviceRules: [] }) }),
    [
      ["posture_capabilities", "process.capabilities.bounding", ""],
      ["posture_writable_proc_sys", "linux.readonlyPaths", ""],
      ["posture_no_seccomp", "linux.seccomp", ""],
    ],
  ],
  [
    "added capabilities",
    facts({ spec: plainSpec({ bounding: [...plainSpec().bounding!, "CAP_SYS_ADMIN", "CAP_IPC_LOCK"] }) }),
    [
      ["posture_capabilities", "process.capabilities.bounding", ""],
      ["posture_no_seccomp", "linux.seccomp", ""],
    ],
  ],
  [
    "no pid namespace of its own",
    facts({ spec: plainSpec({ namespaces: [{ type: "ipc" }, { type: "network" }] }) }),
    [
      ["posture_host_pid", "linux.namespaces", ""],
      ["posture_no_seccomp", "linux.seccomp", ""],
    ],
  ],
  [
    "joins a pid namespace the process shows is the host's",
    facts({ spec: plainSpec({ namespaces: hostPidNamespaces }), process: { hostNamespaces: { pid: true } } }),
    [
      ["posture_host_pid", "linux.namespaces", ""],
      ["posture_no_seccomp", "linux.seccomp", ""],
    ],
  ],
  [
    "joins another pod's pid namespace",
    facts({ spec: plainSpec({ namespaces: hostPidNamespaces }), process: { hostNamespaces: { pid: false } } }),
    [["posture_no_seccomp", "linux.seccomp", ""]],
  ],
  [
    "host network and IPC; the runtime's read-only /etc/hosts binds are no sensitive mount",
    facts({
      spec: plainSpec({ namespaces: [{ type: "pid" }] }),
      mounts: [
        ...plainMounts(),
        bind("/etc/hosts", "/etc/hosts", "ro"),
        bind("/etc/resolv.conf", "/etc/resolv.conf", "ro"),
      ],
    }),
    [
      ["posture_host_ipc", "linux.namespaces", ""],
      ["posture_host_network", "linux.namespaces", ""],
      ["posture_no_seccomp", "linux.seccomp", ""],
    ],
  ],
  [
    "the host's / (read-only) and the runtime's socket",
    facts({
      mounts: [
        ...plainMounts(),
        bind("/", "/host", "ro"),
        bind(TEST_HOST.runtimeSockets[0], "/run/containerd/containerd.sock"),
      ],
    }),
    [
      ["posture_sensitive_mount", "mounts[5]", "/host"],
      ["posture_runtime_socket", "mounts[6]", "/run/containerd/containerd.sock"],
      ["posture_no_seccomp", "linux.seccomp", ""],
    ],
  ],
  [
    "SELinux spc_t",
    facts({
      spec: plainSpec({ selinuxLabel: "system_u:system_r:spc_t:s0", seccomp: { defaultAction: "X", rules: 1 } }),
    }),
    [["posture_unconfined_lsm", "process.selinuxLabel", ""]],
  ],
  [
    "AppArmor enabled on the node, no profile",
    facts({
      spec: plainSpec({ seccomp: { defaultAction: "X", rules: 1 } }),
      host: { ...TEST_HOST, apparmorEnabled: true },
    }),
    [["posture_unconfined_lsm", "process.apparmorProfile", ""]],
  ],
  [
    "a profile that allows every call is no seccomp; root without no_new_privs",
    facts({ spec: plainSpec({ seccomp: { defaultAction: "SCMP_ACT_ALLOW", rules: 0 }, noNewPrivileges: false }) }),
    [
      ["posture_no_seccomp", "linux.seccomp", ""],
      ["posture_root_escalation", "process.user.uid, process.noNewPrivileges", ""],
    ],
  ],
  [
    "writable /sys and /proc/sys without privileged",
    facts({
      spec: plainSpec({ readonlyPaths: [], seccomp: { defaultAction: "X", rules: 1 } }),
      mounts: plainMounts("rw"),
    }),
    [
      ["posture_writable_proc_sys", "linux.readonlyPaths", ""],
      ["posture_writable_sysfs", "mounts[3]", ""],
    ],
  ],
  [
    "a spec without capabilities: the process's bounding set tells (here: privileged)",
    facts({
      spec: privilegedSpec({ bounding: undefined }),
      process: { bounding: privilegedSpec().bounding, hostNamespaces: {} },
    }),
    [["posture_privileged", "process.capabilities (none: CapBnd), linux.resources.devices", ""]],
  ],
];

describe("judgePosture", () => {
  for (const [name, input, expected] of ROWS) {
    it(name, () => assert.deepEqual(shown(judgePosture(input)), expected));
  }

  it("names the dangerous capabilities first and carries the added ones for exceptions", () => {
    const spec = plainSpec({ bounding: [...plainSpec().bounding!, "CAP_IPC_LOCK", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"] });
    const [caps] = judgePosture(facts({ spec }));
    assert.equal(caps.value, "CAP_SYS_ADMIN (dangerous), CAP_NET_ADMIN (dangerous), CAP_IPC_LOCK");
    assert.deepEqual(caps.capabilities, ["CAP_IPC_LOCK", "CAP_SYS_ADMIN", "CAP_NET_ADMIN"]);
  });

  it("says whether a sensitive mount is writable and what it exposes", () => {
    const [root, kubelet] = judgePosture(
      facts({ mounts: [bind("/", "/host", "ro"), bind("/var/lib/kubelet/", "/var/lib/kubelet")] }),
    );
    assert.equal(root.value, "/ -> /host (read-only): the host's root filesystem");
    assert.equal(
      kubelet.value,
      "/var/lib/kubelet -> /var/lib/kubelet (writable): the kubelet's state: every pod's volumes and secrets",
    );
    assert.equal(kubelet.source, "/var/lib/kubelet", "normalized, for policy paths");
  });
});
