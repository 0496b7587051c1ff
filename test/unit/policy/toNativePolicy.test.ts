// From a policy to the native decision: volume kinds become the container's mount points,
// and each allow and deny kind changes the native verdict (proved through judge(), so a
// policy field that did not reach the native tables would fail here).
import * as assert from "node:assert/strict";

import type { NativePolicy } from "../../../src/native/binding";
import { nativeTestBinding, type JudgeCandidate } from "../../testbed/nativeTestBinding";
import { toNativePolicy } from "../../../src/policy/toNativePolicy";
import type { DriftPolicy } from "../../../src/policy/types";
import { globsUnder, volumeKindOf } from "../../../src/policy/volumeKinds";
import type { OciMount } from "../../../src/runtime/types";
import { policy } from "./fixtures";

const PODS = "/var/lib/kubelet/pods";
const UID = "0c9d5e1a-4b4e-4a59-9a57-1d6f3b0c2d11";

function bind(source: string, destination: string): OciMount {
  return { type: "bind", source, destination, options: ["rbind", "rprivate", "rw"] };
}

const MOUNTS: OciMount[] = [
  bind(`${PODS}/${UID}/volumes/kubernetes.io~configmap/scripts`, "/scripts"),
  bind(`${PODS}/${UID}/volumes/kubernetes.io~secret/creds`, "/creds"),
  bind(`${PODS}/${UID}/volumes/kubernetes.io~empty-dir/cache`, "/cache"),
  bind(
    `${PODS}/${UID}/volumes/kubernetes.io~projected/kube-api-access-x`,
    "/var/run/secrets/kubernetes.io/serviceaccount",
  ),
  bind(`${PODS}/${UID}/volumes/kubernetes.io~downward-api/info`, "/etc/podinfo"),
  bind(`${PODS}/${UID}/volumes/kubernetes.io~csi/pvc-123/mount`, "/data"),
  bind(`${PODS}/${UID}/volume-subpaths/scripts/web/0`, "/entry.sh"),
  bind(`${PODS}/${UID}/etc-hosts`, "/etc/hosts"),
  bind(`${PODS}/${UID}/containers/web/1a2b`, "/dev/termination-log"),
  bind("/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/resolv.conf", "/etc/resolv.conf"),
  bind("/srv/shared", "/shared"),
  { type: "tmpfs", source: "tmpfs", destination: "/dev/shm", options: ["nosuid"] },
  { type: "proc", source: "proc", destination: "/proc", options: [] },
];

describe("volume kinds of a container's mounts", () => {
  it("tells each kubelet volume plugin, host paths and tmpfs, and skips kubelet's and containerd's own files", () => {
    assert.deepEqual(
      MOUNTS.map((m) => [m.destination, volumeKindOf(m, PODS) ?? null]),
      [
        ["/scripts", "configMap"],
        ["/creds", "secret"],
        ["/cache", "emptyDir"],
        ["/var/run/secrets/kubernetes.io/serviceaccount", "projected"],
        ["/etc/podinfo", "downwardAPI"],
        ["/data", "persistentVolumeClaim"],
        ["/entry.sh", null],
        ["/etc/hosts", null],
        ["/dev/termination-log", null],
        ["/etc/resolv.conf", null],
        ["/shared", "hostPath"],
        ["/dev/shm", "tmpfs"],
        ["/proc", null],
      ],
    );
  });

  it("follows --kubelet-pods-dir", () => {
    const mount = bind(`/data/kubelet/pods/${UID}/volumes/kubernetes.io~secret/s`, "/s");
    assert.equal(volumeKindOf(mount, "/data/kubelet/pods"), "secret");
    assert.equal(volumeKindOf(mount, PODS), "hostPath");
  });

  it("covers a mount point and what is below it, escaping fnmatch metacharacters", () => {
    const globs = globsUnder("/odd[1]*dir/");
    assert.equal(globs[0], "/odd\\[1\\]\\*dir");
    assert.equal(globs[1], "/odd\\[1\\]\\*dir/*");
    assert.equal(globs.length, 9);
  });
});

describe("toNativePolicy", () => {
  const full: DriftPolicy = policy("p", {
    allow: {
      paths: [{ path: "/tmp/jit/*", reason: "r" }],
      digests: [{ sha256: "a".repeat(64), reason: "r" }],
      parents: [{ path: "/usr/bin/make", reason: "r" }],
      volumes: [
        { kind: "configMap", reason: "r" },
        { path: "/scripts", reason: "same mount point twice: once" },
        { kind: "tmpfs", reason: "r" },
      ],
    },
    deny: [{ path: "/usr/bin/nc", reason: "" }],
  });

  it("passes paths, digests, parents and denies, and turns volume kinds into globs", () => {
    const native = toNativePolicy({ name: "p", mode: "audit", policy: full }, MOUNTS, PODS);
    assert.deepEqual(native.allowPaths, ["/tmp/jit/*"]);
    assert.deepEqual(native.allowDigests, ["a".repeat(64)]);
    assert.deepEqual(native.allowParents, ["/usr/bin/make"]);
    assert.deepEqual(native.denyPaths, ["/usr/bin/nc"]);
    assert.deepEqual(native.allowVolumes, [...globsUnder("/scripts"), ...globsUnder("/dev/shm")]);
    assert.equal(native.mode, "audit", "the mode in force, not the policy's own");
  });

  it("the default policy has no exceptions", () => {
    assert.deepEqual(toNativePolicy({ name: "default", mode: "enforce" }, MOUNTS, PODS), {
      name: "default",
      mode: "enforce",
      allowPaths: [],
      allowDigests: [],
    });
  });

  // Each row: a drift the bare policy blocks, and the exception that lets it run (or, for
  // deny, an image binary the bare policy allows and the deny blocks).
  const judge = (p: NativePolicy, c: Omit<JudgeCandidate, "policy">) => {
    const { verdict, reason } = nativeTestBinding().judge({ ...c, policy: p });
    return { verdict, reason };
  };
  const A = "a".repeat(64);
  const B = "b".repeat(64);
  const kinds: [string, Partial<DriftPolicy>, Omit<JudgeCandidate, "policy">, string][] = [
    [
      "allow.paths",
      { allow: { ...full.allow, digests: [], parents: [], volumes: [] }, deny: [] },
      { where: "writable_layer", containerPath: "/tmp/jit/x", digest: B },
      "new_file",
    ],
    [
      "allow.digests",
      { allow: { paths: [], digests: [{ sha256: A, reason: "r" }], parents: [], volumes: [] } },
      { where: "writable_layer", containerPath: "/tmp/x", digest: A },
      "new_file",
    ],
    [
      "allow.parents",
      { allow: { paths: [], digests: [], parents: [{ path: "/usr/bin/make", reason: "r" }], volumes: [] } },
      { where: "writable_layer", containerPath: "/tmp/x", digest: B, callerProgram: "/usr/bin/make" },
      "new_file",
    ],
    [
      "allow.volumes kind",
      { allow: { paths: [], digests: [], parents: [], volumes: [{ kind: "configMap", reason: "r" }] } },
      { where: "volume", containerPath: "/scripts/..2026_01_01_00_00_00.1/run.sh", digest: B },
      "volume",
    ],
    [
      "allow.volumes path",
      { allow: { paths: [], digests: [], parents: [], volumes: [{ path: "/cache", reason: "r" }] } },
      { where: "volume", containerPath: "/cache/a/b/tool", digest: B },
      "volume",
    ],
  ];
  for (const [name, fields, candidate, reason] of kinds) {
    it(`${name}: blocked without it, allowed with it`, () => {
      const bare = toNativePolicy({ name: "p", mode: "enforce", policy: policy("p") }, MOUNTS, PODS);
      const withIt = toNativePolicy({ name: "p", mode: "enforce", policy: policy("p", fields) }, MOUNTS, PODS);
      assert.deepEqual(judge(bare, candidate), { verdict: "blocked", reason });
      assert.deepEqual(judge(withIt, candidate), { verdict: "allowed", reason: "none" });
    });
  }

  it("allow.volumes by kind covers only that kind's mounts", () => {
    const p = toNativePolicy(
      {
        name: "p",
        mode: "enforce",
        policy: policy("p", {
          allow: { paths: [], digests: [], parents: [], volumes: [{ kind: "configMap", reason: "r" }] },
        }),
      },
      MOUNTS,
      PODS,
    );
    assert.deepEqual(judge(p, { where: "volume", containerPath: "/cache/tool", digest: B }), {
      verdict: "blocked",
      reason: "volume",
    });
  });

  it("deny: an image binary runs without it and is blocked with it, in audit recorded", () => {
    const candidate = { where: "image_layer" as const, containerPath: "/usr/bin/nc" };
    const bare = toNativePolicy({ name: "p", mode: "enforce", policy: policy("p") }, MOUNTS, PODS);
    const deny = policy("p", { deny: [{ path: "/usr/bin/nc", reason: "" }] });
    assert.deepEqual(judge(bare, candidate), { verdict: "allowed", reason: "none" });
    assert.deepEqual(judge(toNativePolicy({ name: "p", mode: "enforce", policy: deny }, MOUNTS, PODS), candidate), {
      verdict: "blocked",
      reason: "denied",
    });
    assert.deepEqual(judge(toNativePolicy({ name: "p", mode: "audit", policy: deny }, MOUNTS, PODS), candidate), {
      verdict: "audited",
      reason: "denied",
    });
  });
});
