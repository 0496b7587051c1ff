// The agent as it runs in a pod: in a mount namespace of its own, where the node's
// containerd dirs are not visible, reaching the host only through /proc/<host pid>/root
// (the DaemonSet's hostPID view). Marks, real paths, baselines, volume discovery and the
// containerd socket all go through that view; a wrong host path would show here.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { scratchDir } from "../../testbed/ociImage";
import { buildDriftImage } from "./driftImage";
import { bedAgentArgs } from "../../testbed/agentArgs";

describe("driftguard agent in a mount namespace of its own, seeing the host through /proc/<pid>/root @root", function () {
  this.timeout(120000);
  let bed: ContainerdTestBed | undefined;
  let agent: AgentProcess | undefined;
  const scratch = scratchDir("e2e-podview");
  const hostDir = path.join(scratch.dir, "hostdir");

  before(async () => {
    fs.mkdirSync(hostDir);
    bed = await ContainerdTestBed.start();
    await bed.importImage(buildDriftImage(scratch.dir).archive);
    await bed.run("c", "test.local/drift:1", ["sleep", "100000"], {
      mounts: [{ type: "bind", source: hostDir, destination: "/hostvol", options: ["rbind", "rw"] }],
    });
    const hostRoot = `/proc/${process.pid}/root`;
    // The agent's own view: containerd's whole test dir hidden under an empty tmpfs.
    const hide = [
      "unshare",
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      'mount -t tmpfs tmpfs "$0" && exec "$@"',
      bed.dir,
    ];
    agent = await AgentProcess.start(
      bedAgentArgs(bed, {
        mode: "enforce",
        stateDir: path.join(scratch.dir, "state"),
        address: path.join(hostRoot, bed.address),
      }),
      { DRIFTGUARD_HOST_PID: String(process.pid) },
      hide,
    );
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch.remove();
  });

  it("does not see containerd's dirs itself", async () => {
    const ownRoot = fs.readFileSync(`/proc/${agent!.pid}/mountinfo`, "utf8");
    assert.match(ownRoot, new RegExp(` ${bed!.dir} .* - tmpfs `), "the test dir is hidden in the agent's namespace");
    const started = agent!.lines.find((l) => l.msg === "agent started");
    assert.equal(started?.hostView, "pid1", JSON.stringify(started));
  });

  it("blocks drift on the writable layer, on a bind volume and on the container's tmpfs, with host paths", async () => {
    await agent!.waitFor((l) => l.msg === "image baseline ready");
    const run = await bed!.exec("c", [
      "/bin/sh",
      "-c",
      "/bin/echo image-ok; mkdir -p /tmp/x /hostvol/x /run/x; for d in /tmp/x /hostvol/x /run/x; do cp /bin/busybox $d/echo; $d/echo ran-$d; done; touch /bin/busybox; /bin/true && echo copied-up-ok",
    ]);
    assert.match(run.stdout, /image-ok/);
    assert.match(run.stdout, /copied-up-ok/);
    assert.doesNotMatch(run.stdout, /ran-/);
    const findings = await agent!.waitForFindings(3);
    assert.deepEqual(
      findings.map((f) => [f.path, f.reason, f.verdict]),
      [
        ["/tmp/x/echo", "new_file", "blocked"],
        ["/hostvol/x/echo", "volume", "blocked"],
        ["/run/x/echo", "volume", "blocked"],
      ],
    );
    assert.equal(findings[0].copyOf, "/bin/busybox");
    assert.ok(findings[0].hostPath.startsWith(bed!.root + "/"), findings[0].hostPath);
    assert.equal(findings[1].hostPath, path.join(hostDir, "x", "echo"));
  });
});
