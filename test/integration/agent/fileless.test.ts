// driftguard agent end to end with its eBPF sensor: a fileless exec in a container (memfd)
// is stopped in enforce and reported with the container's identity and policy. On this
// machine kind the kernel refuses BPF LSM programs: the exec tracepoint kills the new
// program before its first instruction (exit 137), the finding's action is "killed".
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { buildTestProgram } from "../bpf/sensorHelpers";
import { bedAgentArgs } from "../../testbed/agentArgs";

describe("driftguard agent with its eBPF sensor on containerd @root", function () {
  this.timeout(120000);
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  const scratch = scratchDir("e2e-fileless");

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  });

  it("kills a memfd exec in a container and reports it as fileless, with its pod and policy", async () => {
    const fileless = buildTestProgram("fileless", scratch.dir);
    const image = buildOciImage(scratch.dir, "test.local/fileless:1", [
      [...busyboxLayer(), { kind: "file", path: "bin/fileless", content: fs.readFileSync(fileless), mode: 0o755 }],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    await bed.run("c", image.name, ["sleep", "100000"], {
      labels: { "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.name": "web-0" },
    });
    agent = await AgentProcess.start(bedAgentArgs(bed, { mode: "enforce", stateDir: path.join(scratch.dir, "state") }));
    const coverage = agent.lines.find((l) => l.component === "bpf" && typeof l.tracepoint === "boolean");
    assert.ok(coverage, "the agent logs its eBPF coverage at start");
    assert.equal(coverage.tracepoint, true, JSON.stringify(coverage));
    const run = await bed.exec("c", ["/bin/fileless", "memfd", "dropped", "/bin/busybox", "echo", "fileless-ran"]);
    assert.equal(run.code, 137, run.stderr);
    assert.doesNotMatch(run.stdout, /fileless-ran/);
    const line = await agent.waitFor((l) => l.finding?.reason === "fileless", 10000);
    const finding = line.finding!;
    assert.equal(finding.verdict, "blocked");
    assert.equal(finding.action, coverage.lsm ? "refused" : "killed");
    assert.equal(finding.policy, "default");
    assert.equal(finding.container.id, "c");
    assert.deepEqual(finding.k8s, { namespace: "shop", pod: "web-0" });
    assert.equal(finding.hostPath, "memfd:dropped");
  });
});
