// Attacks on the exec guard's blind spots, against real containerd + runc: a filesystem a
// container mounts after it was attached (a tmpfs or a nested overlay in a user namespace,
// as an unprivileged, seccomp-unconfined container may), an ELF interpreter swapped by a
// mount over its path, and a memfd exec. fanotify never sees their execs; the eBPF sensor
// stops them in enforce (here, without BPF LSM: SIGKILL before the new program's first
// instruction, exit 137; the program's first action would have written a marker file) and
// reports them in audit. And what must not be touched: image programs, unchanged copies,
// runc's own execs (every `ctr task exec` goes through them), host processes.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, type Finding } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { runCommand } from "../../testbed/processes";
import { buildTestProgram } from "../bpf/sensorHelpers";

const IMAGE = "test.local/unwatched:1";
const LOADER = "/lib64/ld-linux-x86-64.so.2";
const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

describe("driftguard agent: execs fanotify cannot see, on containerd @root", function () {
  this.timeout(180000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };

  before(async () => {
    scratch = scratchDir("e2e-unwatched");
    fs.mkdirSync(path.join(scratch.dir, "dyn"));
    const file = (p: string, from: string) => ({
      kind: "file" as const,
      path: p,
      content: fs.readFileSync(fs.realpathSync(from)),
      mode: 0o755,
    });
    const image = buildOciImage(scratch.dir, IMAGE, [
      [
        ...busyboxLayer(),
        file("bin/marker", buildTestProgram("marker", scratch.dir)),
        file("bin/fileless", buildTestProgram("fileless", scratch.dir)),
        // A dynamically linked image program, its ELF interpreter and libc.
        { kind: "dir", path: "usr/bin" },
        file("usr/bin/dmarker", buildTestProgram("marker", path.join(scratch.dir, "dyn"), [])),
        { kind: "dir", path: "lib64" },
        file(LOADER.slice(1), LOADER),
        { kind: "dir", path: "lib/x86_64-linux-gnu" },
        file(LIBC.slice(1), LIBC),
        { kind: "dir", path: "scratch" },
      ],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
    await bed.run("c", IMAGE, ["sleep", "100000"]);
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  async function startAgent(mode: "enforce" | "audit"): Promise<AgentProcess> {
    await agent?.stop();
    const started = await AgentProcess.start([
      ...["--containerd-address", bed.address, "--containerd-root", bed.root, "--namespaces", bed.namespace],
      ...["--mode", mode, "--state-dir", path.join(scratch.dir, "state")],
    ]);
    const coverage = started.lines.find((l) => l.component === "bpf" && typeof l.tracepoint === "boolean");
    assert.ok(coverage && (coverage.tracepoint || coverage.lsm), `no eBPF exec coverage: ${JSON.stringify(coverage)}`);
    agent = started;
    return started;
  }

  /** Runs a shell script in the container, in a user and mount namespace of its own. */
  function inUserNamespace(script: string) {
    return bed.exec("c", ["/bin/unshare", "-Urm", "/bin/sh", "-c", script]);
  }

  async function markerWritten(name: string): Promise<boolean> {
    const r = await bed.exec("c", ["/bin/sh", "-c", `test -e /tmp/${name} && echo yes || echo no`]);
    return r.stdout.trim() === "yes";
  }

  async function findingOf(reason: string, match: (f: Finding) => boolean): Promise<Finding> {
    const line = await agent!.waitFor((l) => l.finding?.reason === reason && match(l.finding), 10000);
    return line.finding!;
  }

  describe("enforce", () => {
    before(() => startAgent("enforce"));

    it("kills a program run from a tmpfs mounted after attach, before its first instruction", async () => {
      const r = await inUserNamespace(
        "mount -t tmpfs t /scratch && cp /bin/marker /scratch/m && exec /scratch/m /tmp/tmpfs-ran tmpfs-ran",
      );
      assert.equal(r.code, 137, `${r.stdout} ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /tmpfs-ran/);
      assert.equal(await markerWritten("tmpfs-ran"), false, "the program ran its first instruction");
      const f = await findingOf("unwatched_filesystem", (x) => x.path === "/scratch/m");
      assert.equal(f.verdict, "blocked");
      assert.equal(f.action, "killed");
      assert.equal(f.container.id, "c");
    });

    it("kills a program run from a nested overlay the container mounted", async () => {
      const r = await inUserNamespace(
        [
          "mount -t tmpfs t /scratch && mkdir /scratch/u /scratch/w /scratch/m",
          "mount -t overlay o -o lowerdir=/bin,upperdir=/scratch/u,workdir=/scratch/w /scratch/m",
          "cp /bin/marker /scratch/m/m2 && exec /scratch/m/m2 /tmp/overlay-ran overlay-ran",
        ].join(" && "),
      );
      assert.equal(r.code, 137, `${r.stdout} ${r.stderr}`);
      assert.equal(await markerWritten("overlay-ran"), false);
      await findingOf("unwatched_filesystem", (x) => x.path === "/scratch/m/m2" && x.action === "killed");
    });

    it("kills an image program whose ELF interpreter is mounted over from a tmpfs", async () => {
      const r = await inUserNamespace(
        `cp ${LOADER} /tmp/ld && mount -t tmpfs t /lib64 && cp /tmp/ld ${LOADER} && exec /usr/bin/dmarker /tmp/interp-ran x`,
      );
      assert.equal(r.code, 137, `${r.stdout} ${r.stderr}`);
      assert.equal(await markerWritten("interp-ran"), false);
      const f = await findingOf("unwatched_filesystem", (x) => x.path === "/usr/bin/dmarker");
      assert.equal(f.action, "killed");
      assert.match(f.hostPath, /ld-linux/); // the file that was unwatched: the interpreter
    });

    it("kills a memfd exec before its first instruction", async () => {
      const r = await bed.exec("c", ["/bin/fileless", "memfd", "dg-evil", "/bin/marker", "marker", "/tmp/memfd-ran"]);
      assert.equal(r.code, 137, `${r.stdout} ${r.stderr}`);
      assert.equal(await markerWritten("memfd-ran"), false);
      const f = await findingOf("fileless", (x) => x.hostPath === "memfd:dg-evil");
      assert.equal(f.action, "killed");
    });

    it("leaves image programs, unchanged copies, runc's execs and the host alone", async () => {
      const image = await bed.exec("c", ["/usr/bin/dmarker", "/tmp/image-ran", "image-ran"]);
      assert.equal(image.code, 0, image.stderr);
      assert.match(image.stdout, /image-ran/);
      // chmod copies the file up to the writable layer; its content is the image's.
      const copy = await bed.exec("c", ["/bin/sh", "-c", "chmod 0755 /bin/marker && /bin/marker /tmp/copy-ran ok"]);
      assert.equal(copy.code, 0, copy.stderr);
      // In a user namespace, from the image: still the container's own (watched) overlay.
      const nested = await inUserNamespace("/bin/marker /tmp/userns-ran userns-ok");
      assert.equal(nested.code, 0, nested.stderr);
      // A host process running a program from a tmpfs nobody watches.
      const hostDir = path.join(scratch.dir, "hosttmp");
      fs.mkdirSync(hostDir, { recursive: true });
      await runCommand("mount", ["-t", "tmpfs", "t", hostDir], 10000);
      try {
        fs.copyFileSync("/bin/true", path.join(hostDir, "t"));
        const host = await runCommand(path.join(hostDir, "t"), [], 10000);
        assert.equal(host.code, 0, host.stderr);
      } finally {
        await runCommand("umount", [hostDir], 10000);
      }
      assert.deepEqual(
        agent!.findings().filter((f) => /image-ran|copy-ran|userns-ran|hosttmp/.test(f.path + f.process.cmdline)),
        [],
      );
    });
  });

  describe("audit", () => {
    before(() => startAgent("audit"));

    it("lets a program from a tmpfs mounted after attach run, and reports it", async () => {
      const r = await inUserNamespace(
        "mount -t tmpfs t /scratch && cp /bin/marker /scratch/m && exec /scratch/m /tmp/audit-ran audit-ran",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /audit-ran/);
      const f = await findingOf("unwatched_filesystem", (x) => x.path === "/scratch/m");
      assert.equal(f.verdict, "audited");
      assert.equal(f.action, "audited");
    });
  });
});
