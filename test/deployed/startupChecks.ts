// test:deployed's start-up checks: the agent pod without each capability the DaemonSet
// adds exits 1 with the one line naming it (src/agent/capabilitySelfTest.ts, HostView.ts),
// the kubelet seeing it fail; none of them marks anything first.
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { RunningPod } from "../testbed/kube/RunningPod";
import type { DeployedBed } from "./deployedBed";

const ADDED = ["SYS_ADMIN", "DAC_READ_SEARCH", "SYS_PTRACE", "LEASE"];

function expectedLine(bed: DeployedBed, missing: string): string {
  const add = `add ${missing} to the container's securityContext.capabilities`;
  const snapshots = path.join(bed.node.containerd.root, "io.containerd.snapshotter.v1.overlayfs", "snapshots");
  switch (missing) {
    case "SYS_ADMIN":
      return `fanotify_init (EPERM): the agent holds every exec on the node with fanotify and needs the capability CAP_SYS_ADMIN for that; ${add}`;
    case "DAC_READ_SEARCH":
      return `open_by_handle_at on ${snapshots} (EPERM): the agent finds the image layer or volume an executed file lives in by its file handle and needs the capability CAP_DAC_READ_SEARCH for that; ${add}`;
    case "SYS_PTRACE":
      return `cannot read /proc/${process.pid}/root (EACCES): the agent opens the node's files through the root of pid ${process.pid} (hostPID) and needs the capability CAP_SYS_PTRACE for that; ${add}`;
    default:
      return `no CAP_LEASE: the agent proves an executed file has no writer with a read lease (F_SETLEASE) on files of any owner and needs the capability CAP_LEASE for that; ${add}`;
  }
}

export function startupChecks(bed: DeployedBed): void {
  it("without each added capability, the agent pod exits 1 with the line that names it, before marking anything", async () => {
    const crippled = await Promise.all(
      ADDED.map(async (missing) => {
        const pod = bed.agentPod();
        pod.metadata.name = `driftguard-agent-no-${missing.toLowerCase().replace("_", "-")}`;
        const context = pod.spec.containers[0].securityContext!;
        assert.deepEqual([...context.capabilities!.add!].sort(), [...ADDED].sort(), "the manifest adds these");
        context.capabilities!.add = ADDED.filter((c) => c !== missing);
        const running = await RunningPod.start(bed.node, pod, bed.environment);
        bed.pods.push(running);
        return { missing, running };
      }),
    );
    for (const { missing, running } of crippled) {
      const id = running.container("agent").id;
      const deadline = Date.now() + 60_000;
      while ((await bed.node.cri.containerStatus(id)).state !== 2) {
        if (Date.now() > deadline) throw new Error(`still running:\n${running.logLines("agent").join("\n")}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const lines = bed.agentLog(running);
      const fatal = lines.filter((l) => l.level === 60).map((l) => (l.err as { message: string }).message);
      assert.deepEqual(fatal, [expectedLine(bed, missing)], JSON.stringify(lines));
      assert.deepEqual(
        lines.filter((l) => l.msg === "capability self-test passed" || l.msg === "agent started"),
        [],
      );
      assert.equal((await bed.node.cri.containerStatus(id)).exitCode, 1);
    }
  });
}
