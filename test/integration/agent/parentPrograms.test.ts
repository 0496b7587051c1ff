// allow.parents against real containerd + runc (issue 12, item 5), in enforce and in audit:
// the exception follows the program that calls execve, never a parent found by PPID, and
// that program is the image's own file, not whatever a mount made its path show.
// - reparenting: `(sleep 1; exec /tmp/evil) &` under a container whose PID 1 is the
//   allowed program used to be allowed once the subshell's parent had exited;
// - impersonation: another program bind-mounted over the allowed path in a private mount
//   namespace used to be taken for it;
// - and a JIT-like image program that forks and runs the helper it generated still may.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, type Finding } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { policyYaml } from "../../unit/policy/fixtures";
import { buildTestProgram } from "../bpf/sensorHelpers";

const IMAGE = "test.local/parents:1";
const JIT = "/opt/jit/bin/jit";

describe("driftguard agent: allow.parents on containerd @root", function () {
  this.timeout(180000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };

  before(async () => {
    scratch = scratchDir("e2e-parents");
    const program = (name: string) => fs.readFileSync(buildTestProgram(name, scratch.dir));
    const image = buildOciImage(scratch.dir, IMAGE, [
      [
        ...busyboxLayer(),
        { kind: "file", path: "bin/marker", content: program("marker"), mode: 0o755 },
        { kind: "dir", path: "opt/jit/bin" },
        { kind: "file", path: JIT.slice(1), content: program("jit"), mode: 0o755 },
      ],
    ]);
    const policyDir = path.join(scratch.dir, "policies");
    fs.mkdirSync(policyDir);
    for (const mode of ["enforce", "audit"]) {
      fs.writeFileSync(
        path.join(policyDir, `${mode}.yaml`),
        policyYaml(`jit-${mode}`, {
          mode,
          selector: { namespaces: [`jit-${mode}`] },
          allow: { parents: [{ path: JIT, reason: "the JIT runs what it generates" }] },
        }),
      );
    }
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    for (const mode of ["enforce", "audit"]) {
      await bed.run(mode, IMAGE, [JIT, "serve"], { labels: { "io.kubernetes.pod.namespace": `jit-${mode}` } });
    }
    agent = await AgentProcess.start([
      ...["--containerd-address", bed.address, "--containerd-root", bed.root, "--namespaces", bed.namespace],
      ...["--mode", "enforce", "--state-dir", path.join(scratch.dir, "state"), "--policy-dir", policyDir],
    ]);
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  for (const mode of ["enforce", "audit"] as const) {
    describe(mode, () => {
      const refused = mode === "enforce";
      const sh = (script: string) => bed.exec(mode, ["/bin/sh", "-c", script]);
      const ran = async (marker: string) =>
        (await sh(`test -e ${marker} && echo yes || echo no`)).stdout.trim() === "yes";
      async function findingAt(p: string): Promise<Finding> {
        return (await agent!.waitFor((l) => l.finding?.container.id === mode && l.finding.path === p)).finding!;
      }

      it("judges an orphan reparented to the allowed PID 1 by its own program", async () => {
        const run = await sh(
          "cp /bin/marker /tmp/orphan && (sleep 1; exec /tmp/orphan /tmp/orphan-ran ran) >/dev/null 2>&1 & exit 0",
        );
        assert.equal(run.code, 0, run.stderr);
        const f = await findingAt("/tmp/orphan");
        assert.deepEqual([f.reason, f.verdict, f.policy], ["new_file", refused ? "blocked" : "audited", `jit-${mode}`]);
        assert.equal(f.process.exe, "/bin/busybox", "the subshell called execve");
        assert.equal(f.process.parentExe, JIT, "reparented to the allowed program");
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(await ran("/tmp/orphan-ran"), !refused);
      });

      it("does not take another program mounted over the allowed path for it", async () => {
        // busybox over the JIT's path, in a mount namespace of its own; run through a
        // symlink named sh so that busybox starts its shell. /proc/<pid>/exe then reads
        // /opt/jit/bin/jit, but the file is busybox.
        const run = await sh(
          [
            "cp /bin/marker /tmp/impostor",
            "ln -sf /opt/jit/bin/jit /tmp/sh",
            "unshare -Urm /bin/sh -c 'mount -o bind /bin/busybox /opt/jit/bin/jit && exec /tmp/sh -c \"/tmp/impostor /tmp/impostor-ran ran; echo rc=\\$?\"'",
          ].join(" && "),
        );
        assert.match(run.stdout, new RegExp(`rc=${refused ? 126 : 0}`), `${run.stdout} ${run.stderr}`);
        assert.equal(await ran("/tmp/impostor-ran"), !refused);
        const f = await findingAt("/tmp/impostor");
        assert.deepEqual([f.reason, f.verdict], ["new_file", refused ? "blocked" : "audited"]);
        assert.equal(f.process.exe, JIT, "the path the kernel shows is the allowed one");
      });

      it("lets the JIT-like image program run the helper it generates, without a finding", async () => {
        const run = await bed.exec(mode, [JIT, "spawn", "/tmp/jit-helper", "/bin/marker", "/tmp/jit-ran", "jit-ok"]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /jit-ok/);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(
          agent!.findings().filter((f) => f.container.id === mode && f.path === "/tmp/jit-helper"),
          [],
        );
      });
    });
  }
});
