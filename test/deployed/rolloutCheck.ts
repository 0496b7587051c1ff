// test:deployed's rollout check: the DaemonSet's surge update (maxSurge 1, maxUnavailable
// 0) as the DaemonSet controller and the kubelet run it on one node: the new agent pod
// started beside the old one, the old deleted once the new is Ready. A workload execs a
// drifted file in a loop the whole time: every exec is refused, none runs.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { RunningPod } from "../testbed/kube/RunningPod";
import { shopPod, type DeployedBed } from "./deployedBed";

/**
 * The loop's lines in the emptyDir (read from the node while it runs): "<unix seconds>
 * <exit code>", and the drift's own output if it ever runs.
 */
const LOOP = [
  "while [ ! -e /cache/stop ]; do",
  "/cache/drift/echo DRIFT-RAN >> /cache/loop.log; rc=$?;",
  'echo "$(date +%s) $rc" >> /cache/loop.log;',
  "sleep 0.05;", // a steady stream, not a flood of findings
  "done",
].join(" ");

export function rolloutCheck(bed: DeployedBed): void {
  it("replaces the agent with a surge (maxSurge 1, maxUnavailable 0): no drift exec runs across the replacement", async function () {
    this.timeout(360_000);
    const daemonSet = bed.objects.find((o) => o.kind === "DaemonSet") as unknown as {
      spec: { updateStrategy: { rollingUpdate: Record<string, number> } };
    };
    assert.deepEqual(daemonSet.spec.updateStrategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
    const old = bed.agent;
    const till = await RunningPod.start(bed.node, shopPod("till-0", { app: "till" }), bed.environment);
    bed.pods.push(till);
    await bed.enforced(till);
    const copied = await till.exec("web", [
      "/bin/sh",
      "-c",
      "mkdir -p /cache/drift && cp /bin/busybox /cache/drift/echo",
    ]);
    assert.equal(copied.code, 0, copied.stderr);
    const loop = till.exec("web", ["/bin/sh", "-c", LOOP], 300);
    const cache = till.volumes.volumes.get("cache")!.hostPath;
    const logged = (): string =>
      fs.existsSync(path.join(cache, "loop.log")) ? fs.readFileSync(path.join(cache, "loop.log"), "utf8") : "";
    const lines = (): number => logged().split("\n").filter(Boolean).length;
    for (const deadline = Date.now() + 60_000; lines() < 5;) {
      if (Date.now() > deadline) throw new Error(`the loop did not start: ${logged()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const beforeSurge = lines();
    const surged = await RunningPod.start(bed.node, bed.agentPod(), bed.environment);
    bed.pods.push(surged);
    await surged.waitReady();
    await bed.enforced(till, surged);
    await old.delete(); // the DaemonSet's grace period: the old agent answers what it holds and goes
    const whenOldGone = lines();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    fs.writeFileSync(path.join(cache, "stop"), "");
    const run = await loop;
    bed.agent = surged;
    assert.equal(run.code, 0, run.stderr);
    const output = logged();
    assert.doesNotMatch(output, /DRIFT-RAN/);
    const execs = output
      .trim()
      .split("\n")
      .map((line) => line.split(" ").map(Number));
    const allowed = execs.filter(([, rc]) => rc !== 126);
    assert.deepEqual(allowed, [], "every drift exec refused (126)");
    // The loop ran before the surge, while both agents ran, and after the old one left.
    assert.ok(beforeSurge >= 5 && whenOldGone > beforeSurge, `${beforeSurge} before the surge, ${whenOldGone} then`);
    assert.ok(execs.length > whenOldGone, `execs after the old agent left: ${output.slice(-200)}`);
    // Two agents on one node: each took its own spool in the shared state dir.
    const slots = [old, surged].map((a) => bed.agentLog(a).find((l) => l.msg === "spool slot taken")?.slot);
    assert.deepEqual(slots, [0, 1]);
    console.log(`        rollout: ${execs.length} drift execs, all refused`);
  });
}
