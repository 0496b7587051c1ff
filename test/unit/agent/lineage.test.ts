// Lineage from /proc: a fake /proc tree (the shapes the kernel writes, with a hostile comm
// and arguments), the container's passwd read beneath its root by the native addon
// against symlinks, FIFOs and size, and the bounds.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";

import { ContainerUsers, parsePasswd } from "../../../src/agent/lineage/containerUsers";
import { LINEAGE_PER_SECOND, LineageReader } from "../../../src/agent/lineage/LineageReader";
import { argvOf } from "../../../src/agent/lineage/procProcess";
import { readLineage } from "../../../src/agent/lineage/processLineage";
import { LINEAGE_LIMITS } from "../../../src/api/lineageLimits";
import { nativeBinding } from "../../../src/native/binding";
import { NO_LINEAGE } from "../../../src/report/ProcessLineage";

const UPTIME_S = 1000;

function fakeProc(
  dir: string,
  pid: number,
  o: { ppid: number; startS: number; ns: string; uid?: number; argv?: string[]; nsPid?: number; state?: string },
) {
  const d = path.join(dir, String(pid));
  fs.mkdirSync(path.join(d, "ns"), { recursive: true });
  const ticks = o.startS * 100;
  // comm is the process's choice: ") 9 9" must not shift the fields.
  const rest = [o.state ?? "S", o.ppid, ...Array(17).fill(0), ticks, 0].join(" ");
  fs.writeFileSync(path.join(d, "stat"), `${pid} (evil) 9 9) ${rest}\n`);
  const uid = o.uid ?? 0;
  fs.writeFileSync(
    path.join(d, "status"),
    `Name:\tx\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\nGid:\t${uid}\t${uid}\t${uid}\t${uid}\nNSpid:\t${pid}\t${o.nsPid ?? pid}\n`,
  );
  fs.writeFileSync(path.join(d, "cmdline"), (o.argv ?? [`p${pid}`]).join("\0") + "\0");
  // An exiting process has let go of its memory and namespaces: both links unreadable.
  if (o.ns) fs.symlinkSync(`/bin/p${pid}`, path.join(d, "exe"));
  if (o.ns) fs.symlinkSync(o.ns, path.join(d, "ns", "pid"));
}

describe("process lineage", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dg-lineage-"));
    fs.writeFileSync(path.join(dir, "uptime"), `${UPTIME_S}.00 0.00\n`);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const users = () => new ContainerUsers(() => Buffer.from("toor:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"));
  const bootMs = () => Date.now() - UPTIME_S * 1000;

  it("walks from the caller to the first process outside the container and flags an exec session", () => {
    fakeProc(dir, 10, { ppid: 0, startS: 1, ns: "pid:[1]", nsPid: 1 }); // the container's init
    fakeProc(dir, 40, { ppid: 5, startS: 20, ns: "pid:[1]", uid: 1000, argv: ["sh", "-c", "x\x1b[2J"] });
    fakeProc(dir, 5, { ppid: 1, startS: 2, ns: "pid:[host]" }); // the shim
    fakeProc(dir, 41, { ppid: 40, startS: 21, ns: "pid:[1]", uid: 1000 });
    const caller = { pid: 41, ppid: 40, exe: "/bin/p41", cmdline: "p41", uid: 1000 };
    const l = readLineage(caller, { procDir: dir, initPid: 10, execTimeMs: Date.now() }, users());
    assert.deepEqual(
      l.processes.map((p) => [p.pid, p.inContainer, p.user]),
      [
        [41, true, "app"],
        [40, true, "app"],
        [5, false, ""],
      ],
    );
    assert.deepEqual(l.processes[1].argv, ["sh", "-c", "x\\x1b[2J"], "escape sequences are shown, not run");
    assert.ok(Math.abs(l.processes[1].startMs - (bootMs() + 20_000)) < 1000);
    assert.deepEqual([l.execSession, l.complete], [true, true]);
  });

  it("ends at the init without an exec session; a gone caller continues at its parent", () => {
    fakeProc(dir, 10, { ppid: 5, startS: 1, ns: "pid:[1]", nsPid: 1 });
    const caller = { pid: 77, ppid: 10, exe: "/bin/sh", cmdline: "sh -c y", uid: 0 };
    const l = readLineage(caller, { procDir: dir, initPid: 10, execTimeMs: Date.now() }, users());
    assert.deepEqual(
      l.processes.map((p) => [p.pid, p.exe, p.startMs > 0]),
      [
        [77, "/bin/sh", false],
        [10, "/bin/p10", true],
      ],
    );
    assert.deepEqual([l.execSession, l.complete], [false, true]);
  });

  it("takes an exiting caller (a zombie, or one whose namespaces are gone) for gone, not for a process outside", () => {
    // The refused child of an exec session exits at once; read in the middle of its exit it
    // looked like a host process: the chain ended there and the session went unflagged.
    for (const exiting of [
      { state: "Z", ns: "pid:[1]" },
      { state: "R", ns: "" },
    ]) {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, "uptime"), `${UPTIME_S}.00 0.00\n`);
      fakeProc(dir, 10, { ppid: 0, startS: 1, ns: "pid:[1]", nsPid: 1 });
      fakeProc(dir, 40, { ppid: 5, startS: 20, ns: "pid:[1]" });
      fakeProc(dir, 5, { ppid: 1, startS: 2, ns: "pid:[host]" });
      fakeProc(dir, 41, { ppid: 40, startS: 21, ...exiting });
      const caller = { pid: 41, ppid: 40, exe: "/tmp/x/ls", cmdline: "ls", uid: 0 };
      const l = readLineage(caller, { procDir: dir, initPid: 10, execTimeMs: Date.now() }, users());
      assert.deepEqual(
        l.processes.map((p) => [p.pid, p.exe, p.inContainer]),
        [
          [41, "/tmp/x/ls", true],
          [40, "/bin/p40", true],
          [5, "/bin/p5", false],
        ],
        JSON.stringify(exiting),
      );
      assert.deepEqual([l.execSession, l.complete], [true, true], JSON.stringify(exiting));
    }
  });

  it("does not take a process started after the exec (a reused pid) for an ancestor", () => {
    fakeProc(dir, 10, { ppid: 5, startS: 1, ns: "pid:[1]", nsPid: 1 });
    fakeProc(dir, 40, { ppid: 10, startS: 990, ns: "pid:[1]" }); // started 10 s before "now"
    const caller = { pid: 41, ppid: 40, exe: "/bin/x", cmdline: "x", uid: 0 };
    const l = readLineage(caller, { procDir: dir, initPid: 10, execTimeMs: bootMs() + 500_000 }, users());
    assert.deepEqual(
      l.processes.map((p) => p.pid),
      [41],
    );
    assert.equal(l.complete, false);
  });

  it("stops at the depth bound", () => {
    fakeProc(dir, 10, { ppid: 5, startS: 1, ns: "pid:[1]", nsPid: 1 });
    for (let pid = 100; pid < 140; pid++)
      fakeProc(dir, pid, { ppid: pid === 100 ? 10 : pid - 1, startS: 2, ns: "pid:[1]" });
    const caller = { pid: 139, ppid: 138, exe: "/bin/p139", cmdline: "p139", uid: 0 };
    const l = readLineage(caller, { procDir: dir, initPid: 10, execTimeMs: Date.now() }, users());
    assert.equal(l.processes.length, LINEAGE_LIMITS.depth);
    assert.equal(l.complete, false);
  });

  it("reads at most LINEAGE_PER_SECOND lineages a second, counting the rest", () => {
    let now = 5000;
    const reader = new LineageReader(
      dir,
      () => null,
      () => now,
    );
    const caller = { pid: 41, ppid: 40, exe: "/bin/x", cmdline: "x", uid: 0 };
    for (let i = 0; i < LINEAGE_PER_SECOND; i++) assert.equal(reader.read(caller, 0, now).processes.length, 1);
    assert.deepEqual(reader.read(caller, 0, now), NO_LINEAGE);
    now += 1000;
    assert.equal(reader.read(caller, 0, now).processes.length, 1, "a new second, a new budget");
    assert.deepEqual(reader.stats(), { read: LINEAGE_PER_SECOND + 1, skipped: 1 });
  });

  it("bounds arguments", () => {
    const many = argvOf(Buffer.from(Array(100).fill("a".repeat(300)).join("\0")));
    assert.ok(many.length <= LINEAGE_LIMITS.argc + 1);
    assert.ok(many.every((a) => a.length <= LINEAGE_LIMITS.argLength));
    assert.ok(many.join("").length <= LINEAGE_LIMITS.argvLength + 1);
    assert.equal(many[many.length - 1], "…");
    assert.deepEqual(argvOf(Buffer.from("\0\0")), []);
  });

  it("names a uid by the first passwd line that has it, escaping what a terminal would run", () => {
    const names = parsePasswd(Buffer.from("a\x07:x:0:0\nroot:x:0:0\nbad line\nx:x:notanumber:0\nb:x:5:5::/:\n"));
    assert.deepEqual(
      [...names],
      [
        [0, "a\\x07"],
        [5, "b"],
      ],
    );
  });
});

describe("readFileBeneath (a container's /etc/passwd) @root", () => {
  let root: string;
  const read = (p: string, max = 65536) => nativeBinding().readFileBeneath(root, p, max)?.toString() ?? null;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "dg-beneath-"));
    fs.mkdirSync(path.join(root, "etc"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("reads a regular file beneath the root", () => {
    fs.writeFileSync(path.join(root, "etc/passwd"), "toor:x:0:0::/:/bin/sh\n");
    assert.equal(read("/etc/passwd"), "toor:x:0:0::/:/bin/sh\n");
  });

  it("refuses a symlinked file or directory, '..', a FIFO and a file over the bound", () => {
    const outside = path.join(root, "..", `${path.basename(root)}-outside`);
    fs.writeFileSync(outside, "agent's secret\n");
    try {
      fs.symlinkSync(outside, path.join(root, "etc/passwd"));
      assert.equal(read("/etc/passwd"), null, "a symlinked passwd");
      fs.rmSync(path.join(root, "etc"), { recursive: true });
      fs.symlinkSync(path.dirname(outside), path.join(root, "etc"));
      assert.equal(read(`/etc/${path.basename(outside)}`), null, "a symlinked /etc");
      assert.equal(read(`/../${path.basename(outside)}`), null, "..");
      fs.rmSync(path.join(root, "etc"));
      fs.mkdirSync(path.join(root, "etc"));
      execFileSync("mkfifo", [path.join(root, "etc/passwd")]);
      assert.equal(read("/etc/passwd"), null, "a FIFO (never opened: no writer, a read would block)");
      fs.rmSync(path.join(root, "etc/passwd"));
      fs.writeFileSync(path.join(root, "etc/passwd"), "x".repeat(100));
      assert.equal(read("/etc/passwd", 99), null, "over maxBytes");
      assert.throws(() => nativeBinding().readFileBeneath(root, "/etc/passwd", 1 << 20), /maxBytes/);
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });
});
