// The start-up self-test's messages: one line per missing capability, naming the call, the
// object and what to add; a refusal despite the capability says so. Fake probes stand in
// (test/integration/agent/startupSelfTest.test.ts runs the real ones without each capability).
import * as assert from "node:assert/strict";

import type { CapabilityName } from "../../../src/agent/capabilities";
import { CapabilitySelfTestError, runCapabilitySelfTest } from "../../../src/agent/capabilitySelfTest";

const SNAPSHOTS = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots";
const PODS = "/var/lib/kubelet/pods";
const marked = [
  { hostPath: SNAPSHOTS, openPath: `/proc/1/root${SNAPSHOTS}` },
  { hostPath: PODS, openPath: `/proc/1/root${PODS}` },
];

function refused(code: string, message: string): never {
  throw Object.assign(new Error(message), { code });
}

describe("capability self-test: one actionable line per missing facility", () => {
  const opened: string[] = [];
  const probes = (failing: "fanotify" | string | undefined) => ({
    probeFanotify: () =>
      failing === "fanotify" ? refused("EPERM", "fanotify_init: Operation not permitted") : undefined,
    probeFileHandle: (dir: string) => {
      opened.push(dir);
      if (failing === dir) refused("EPERM", `open_by_handle_at ${dir}: Operation not permitted`);
    },
  });
  const without =
    (...missing: CapabilityName[]) =>
    (name: CapabilityName) =>
      !missing.includes(name);

  it("passes, listing its checks, when every probe and capability is there", () => {
    opened.length = 0;
    assert.deepEqual(runCapabilitySelfTest(marked, probes(undefined), without()), [
      "fanotify",
      `file handles on ${SNAPSHOTS}`,
      `file handles on ${PODS}`,
      "read leases",
    ]);
    assert.deepEqual(opened, [`/proc/1/root${SNAPSHOTS}`, `/proc/1/root${PODS}`], "the paths the agent opens");
  });

  const table: [string, ReturnType<typeof probes>, CapabilityName[], string][] = [
    [
      "no CAP_SYS_ADMIN",
      probes("fanotify"),
      ["SYS_ADMIN"],
      "fanotify_init (EPERM): the agent holds every exec on the node with fanotify and needs the capability CAP_SYS_ADMIN for that; add SYS_ADMIN to the container's securityContext.capabilities",
    ],
    [
      "no CAP_DAC_READ_SEARCH (the pods dir)",
      probes(`/proc/1/root${PODS}`),
      ["DAC_READ_SEARCH"],
      `open_by_handle_at on ${PODS} (EPERM): the agent finds the image layer or volume an executed file lives in by its file handle and needs the capability CAP_DAC_READ_SEARCH for that; add DAC_READ_SEARCH to the container's securityContext.capabilities`,
    ],
    [
      "no CAP_LEASE",
      probes(undefined),
      ["LEASE"],
      "no CAP_LEASE: the agent proves an executed file has no writer with a read lease (F_SETLEASE) on files of any owner and needs the capability CAP_LEASE for that; add LEASE to the container's securityContext.capabilities",
    ],
    [
      "CAP_SYS_ADMIN there, fanotify refused anyway",
      probes("fanotify"),
      [],
      "fanotify_init (EPERM): fanotify_init: Operation not permitted, although the agent has CAP_SYS_ADMIN: the kernel, a seccomp profile or a security module refuses it, and the agent holds every exec on the node with fanotify",
    ],
  ];
  for (const [name, p, missing, message] of table) {
    it(name, () => {
      assert.throws(
        () => runCapabilitySelfTest(marked, p, without(...missing)),
        (error: unknown) => error instanceof CapabilitySelfTestError && error.message === message,
      );
    });
  }
});
