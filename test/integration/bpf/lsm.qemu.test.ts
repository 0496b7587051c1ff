// The eBPF sensor's BPF LSM path, which this machine's kernel refuses: Debian 12's stock
// cloud kernels (6.1 and 6.12, extracted from their .debs) boot in QEMU (TCG) with a
// minimal initramfs whose only program, guest/lsmguest.cc, links the real sensor and
// checks blocking from a "container" (overlay + cgroup). See qemuGuest.ts. ~25 s of guest
// time per kernel here (most of it the emulated fork+exec timing), plus ~8 s to build.
import * as assert from "node:assert/strict";

import { GUEST_KERNELS, runLsmGuest } from "./qemuGuest";

const GUEST_TIMEOUT_MS = 240_000;

// The checks lsmguest must print "ok" for; a guest that prints fewer fails here.
const EXPECTED = [
  "coverage: LSM programs attached and running",
  "fileless: memfd_create + execveat fails with EPERM",
  "fileless: exec of a deleted file via /proc/self/fd fails with EPERM",
  "fileless: runc's memfd:runc_cloned re-exec by a host program runs",
  "fileless: a container program naming its memfd like runc's is blocked",
  "library: an image binary and its libraries run",
  "library: a writable-layer binary exec'd directly is left to fanotify (its own mappings pass)",
  "library: the loader trick on a dropped binary is refused",
  "library: LD_PRELOAD of a dropped library is refused, the program runs without it",
  "library: mprotect(PROT_EXEC) of a dropped file's mapping is refused",
  "library: mprotect(PROT_EXEC) of an image file's mapping is allowed",
  "library: an unchanged copied-up image library in trusted_files loads",
  "library: a copied-up library the agent has not verified is refused",
  "library: a verified copy modified afterwards is refused",
  "copy: an image library copied up by chmod while watched loads without a hash",
  "copy: the loader trick on an unchanged copied-up image binary runs",
  "copy: an image library opened for write is refused",
  "copy: a dropped library copied over an image library is refused",
  "copy: a truncated image library is refused",
  "copy: a file dropped before the sensor and renamed over an image library is refused",
  "copy: the overlay's write marks are forgotten on request",
  "volume: LD_PRELOAD of a library on the container's tmpfs is refused",
  "volume: the loader trick on a binary on the container's tmpfs is refused",
  "volume: a binary on the container's tmpfs exec'd directly is left to fanotify",
  "volume: mprotect(PROT_EXEC) of a file on the container's tmpfs is refused",
  "volume: a process outside any container is not judged",
  "finding: refused volume library with its path inside the volume",
  "finding: the mprotect refusal says so",
  "volume: a tmpfs the container's policy allows is not judged",
  "finding: refused fileless memfd exec attributed to the container",
  "finding: refused library with its path inside the container",
  "unwatched: an exec from a filesystem mounted after attach fails with EPERM",
  "unwatched: an image program whose ELF interpreter is on an unwatched filesystem does not run",
  "unwatched: image programs on watched filesystems still run",
  "unwatched: a process outside any container is not judged",
  "finding: refused unwatched exec attributed to the container",
  "finding: the interpreter's mapping killed the exec",
  "audit: a fileless exec runs",
  "audit: a dropped library loads",
  "audit: fileless finding audited",
  "audit: library finding audited",
  "audit: an exec from an unwatched filesystem runs",
  "audit: unwatched finding audited",
];

describe("eBPF sensor: BPF LSM in a QEMU guest @root", function () {
  this.timeout(GUEST_TIMEOUT_MS + 120_000);

  for (const kernel of GUEST_KERNELS) {
    it(`blocks fileless execs, unwatched filesystems and drifted libraries on ${kernel}`, async () => {
      const result = await runLsmGuest(kernel, GUEST_TIMEOUT_MS);
      const lines = result.output.split(/\r?\n/);
      const report = lines.filter((l) => /^(ok|not ok|#|\d+ passed)/.test(l)).join("\n");
      process.stdout.write(`      guest ${result.release}: ${result.ms} ms\n`);
      for (const bench of lines.filter((l) => l.startsWith("# bench"))) process.stdout.write(`      ${bench}\n`);
      const failed = lines.filter((l) => l.startsWith("not ok"));
      assert.deepEqual(failed, [], report || result.output.slice(-4000));
      for (const name of EXPECTED) {
        assert.ok(
          lines.some((l) => l.startsWith(`ok ${name}`)),
          `missing "ok ${name}":\n${report || result.output.slice(-4000)}`,
        );
      }
      assert.ok(
        lines.some((l) => /^\d+ passed, 0 failed/.test(l)),
        report,
      );
    });
  }
});
