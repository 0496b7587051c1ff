// Attacks on how the guard proves that a writable-layer file is the image's, against real
// containerd + runc (issue 12, items 3 and 4), in enforce and in audit:
// - a digest poisoned through a MAP_SHARED writable mapping: the copied-up image program is
//   hashed while its pages hold the image's bytes, then rewritten through the mapping
//   (pages already dirty: neither mtime nor ctime move) and run again;
// - a payload padded to 1 GiB (sparse), several at once, so that hashing used to pass the
//   deadline and the fail mode let them run.
// And what must keep working: an image program copied up unchanged runs.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { AgentProcess, type Finding } from "../../testbed/AgentProcess";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import { buildOciImage, busyboxLayer, scratchDir } from "../../testbed/ociImage";
import { buildTestProgram } from "../bpf/sensorHelpers";

const IMAGE = "test.local/content-proofs:1";
const VICTIM = "/usr/local/bin/true"; // busybox under an applet's name: larger than the payload
const until = (file: string) => `until [ -e ${file} ]; do usleep 10000; done`;

describe("driftguard agent: proving a writable-layer file is the image's, on containerd @root", function () {
  this.timeout(180000);
  let bed: ContainerdTestBed;
  let agent: AgentProcess | undefined;
  let scratch: { dir: string; remove: () => void };

  before(async () => {
    scratch = scratchDir("e2e-content");
    const program = (name: string) => fs.readFileSync(buildTestProgram(name, scratch.dir));
    const image = buildOciImage(scratch.dir, IMAGE, [
      [
        ...busyboxLayer(),
        { kind: "file", path: "bin/marker", content: program("marker"), mode: 0o755 },
        { kind: "file", path: "bin/mapwrite", content: program("mapwrite"), mode: 0o755 },
        { kind: "dir", path: "usr/local/bin" },
        { kind: "file", path: VICTIM.slice(1), content: fs.readFileSync("/bin/busybox"), mode: 0o755 },
      ],
    ]);
    bed = await ContainerdTestBed.start();
    await bed.importImage(image.archive);
  });

  after(async () => {
    await agent?.stop();
    await bed?.stop();
    scratch?.remove();
  });

  for (const mode of ["enforce", "audit"] as const) {
    describe(mode, () => {
      const container = `c-${mode}`;
      const refused = mode === "enforce";
      before(async () => {
        await agent?.stop();
        await bed.run(container, IMAGE, ["sleep", "100000"]);
        agent = await AgentProcess.start([
          ...["--containerd-address", bed.address, "--containerd-root", bed.root, "--namespaces", bed.namespace],
          ...["--mode", mode, "--state-dir", path.join(scratch.dir, "state"), "--deadline-ms", "600"],
        ]);
      });

      const sh = (script: string) => bed.exec(container, ["/bin/sh", "-c", script]);
      const exists = async (file: string) => {
        const r = await sh(`test -e ${file} && echo yes || echo no`);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.trim();
      };
      const findingsAt = (p: string): Finding[] =>
        agent!.findings().filter((f) => f.container.id === container && f.path === p);

      it("never trusts a digest after a write through a shared mapping", async () => {
        const run = await sh(
          [
            "mkdir -p /tmp/ctl",
            `/bin/mapwrite ${VICTIM} /bin/marker /tmp/ctl >/tmp/ctl/log 2>&1 &`,
            until("/tmp/ctl/mapped"),
            `${VICTIM}; echo first=$?`, // the image's bytes, but a writer holds the mapping
            `touch /tmp/ctl/rewrite; ${until("/tmp/ctl/rewritten")}`,
            `${VICTIM} /tmp/poisoned-mapped ran; echo mapped=$?`, // the payload, mapping still there
            `touch /tmp/ctl/unmap; ${until("/tmp/ctl/unmapped")}`,
            `${VICTIM} /tmp/poisoned-unmapped ran; echo unmapped=$?`, // the payload, no writer left
            "cat /tmp/ctl/log",
          ].join("\n"),
        );
        assert.equal(run.code, 0, run.stderr);
        if (refused) {
          assert.match(run.stdout, /^mapped=126$/m, run.stdout);
          assert.match(run.stdout, /^unmapped=126$/m, run.stdout);
          assert.equal(await exists("/tmp/poisoned-mapped"), "no", "the patched copy ran");
          assert.equal(await exists("/tmp/poisoned-unmapped"), "no", "the patched copy ran after unmap");
        } else {
          assert.match(run.stdout, /^mapped=0$/m, run.stdout);
          assert.equal(await exists("/tmp/poisoned-unmapped"), "yes");
        }
        await agent!.waitFor((l) => l.finding?.container.id === container && l.finding.reason === "modified");
        // While the mapping is there a digest proves nothing: unverified, also for the first
        // exec, whose bytes were still the image's. Once it is gone, the hash tells.
        const verdict = refused ? "blocked" : "audited";
        assert.deepEqual(
          findingsAt(VICTIM).map((f) => [f.reason, f.verdict]),
          [
            ["unverified", verdict],
            ["unverified", verdict],
            ["modified", verdict],
          ],
        );
      });

      it("answers a padded payload at once from its path, several at a time, and hashes it for the finding", async () => {
        const files = [1, 2, 3, 4].map((i) => `/tmp/pad${i}`);
        const started = Date.now();
        const run = await sh(
          [
            ...files.map((f) => `cp /bin/marker ${f} && truncate -s 1073741823 ${f}`),
            ...files.map((f) => `(${f} ${f}.ran ran >/dev/null; echo ${f}=$?) &`),
            "wait",
          ].join("\n"),
        );
        const ms = Date.now() - started;
        for (const f of files) assert.match(run.stdout, new RegExp(`^${f}=${refused ? 126 : 0}$`, "m"), run.stdout);
        for (const f of files) assert.equal(await exists(`${f}.ran`), refused ? "no" : "yes");
        const findings = await Promise.all(
          files.map(async (f) => (await agent!.waitFor((l) => l.finding?.path === f, 90000)).finding!),
        );
        for (const f of findings) {
          assert.deepEqual([f.reason, f.verdict], ["new_file", refused ? "blocked" : "audited"], JSON.stringify(f));
        }
        const late = agent!.findings().filter((f) => f.reason === "deadline_exceeded");
        assert.equal(late.length, 0, JSON.stringify(late, null, 1));
        // The digest comes after the answer, from the bytes the size promised; one hash
        // limit of bytes waits at a time, the others go without.
        assert.ok(
          findings.some((f) => /^[0-9a-f]{64}$/.test(f.sha256)),
          JSON.stringify(findings),
        );
        console.log(`      4 padded payloads answered in ${ms} ms (with the shell's work)`);
      });

      it("runs an image program copied up unchanged (chmod, touch), without a finding", async () => {
        const run = await sh(
          "chmod 0755 /bin/marker && touch /bin/marker && /bin/marker /tmp/copy-ran ok && /bin/marker",
        );
        assert.equal(run.code, 0, run.stderr);
        assert.equal(await exists("/tmp/copy-ran"), "yes");
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.deepEqual(
          agent!.findings().filter((f) => f.container.id === container && f.path === "/bin/marker"),
          [],
        );
      });
    });
  }
});
