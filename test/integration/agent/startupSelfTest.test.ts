// The agent's start-up self-test against the real kernel: the agent run without each
// capability the DaemonSet adds (capsh drops it from the bounding set) exits with the one
// line that names it, before it marks anything; with all of them it passes.
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";

import { CLI } from "../../testbed/AgentProcess";
import { scratchDir } from "../../testbed/ociImage";

describe("agent start-up self-test: each missing capability named @root", function () {
  this.timeout(60_000);
  const scratch = scratchDir("selftest");
  const snapshots = path.join(scratch.dir, "containerd", "io.containerd.snapshotter.v1.overlayfs", "snapshots");
  const pods = path.join(scratch.dir, "pods");
  before(() => {
    fs.mkdirSync(snapshots, { recursive: true });
    fs.mkdirSync(pods);
  });
  after(() => scratch.remove());

  /** The agent under capsh without the capabilities; its log lines. */
  function agentCommand(drop: string[]): [string, string[]] {
    const args = [
      ...(drop.length > 0 ? [`--drop=${drop.map((c) => `cap_${c.toLowerCase()}`).join(",")}`] : []),
      "--",
      "-c",
      'exec "$@"',
      "agent-without-caps",
      process.execPath,
      CLI,
      "agent",
      "--containerd-root",
      path.join(scratch.dir, "containerd"),
      "--containerd-address",
      path.join(scratch.dir, "no-containerd.sock"),
      "--state-dir",
      path.join(scratch.dir, "state"),
      "--kubelet-pods-dir",
      pods,
      "--metrics-address",
      "",
    ];
    return ["capsh", args];
  }

  const table: [string, string][] = [
    [
      "SYS_ADMIN",
      "fanotify_init (EPERM): the agent holds every exec on the node with fanotify and needs the capability CAP_SYS_ADMIN for that; add SYS_ADMIN to the container's securityContext.capabilities",
    ],
    [
      "DAC_READ_SEARCH",
      `open_by_handle_at on ${snapshots} (EPERM): the agent finds the image layer or volume an executed file lives in by its file handle and needs the capability CAP_DAC_READ_SEARCH for that; add DAC_READ_SEARCH to the container's securityContext.capabilities`,
    ],
    [
      "LEASE",
      "no CAP_LEASE: the agent proves an executed file has no writer with a read lease (F_SETLEASE) on files of any owner and needs the capability CAP_LEASE for that; add LEASE to the container's securityContext.capabilities",
    ],
    [
      "SYS_PTRACE",
      "cannot read /proc/1/root (EACCES): the agent opens the node's files through the root of pid 1 (hostPID) and needs the capability CAP_SYS_PTRACE for that; add SYS_PTRACE to the container's securityContext.capabilities",
    ],
  ];
  for (const [capability, message] of table) {
    it(`without CAP_${capability}: exits 1 with that line before marking anything`, () => {
      const [command, args] = agentCommand([capability]);
      const run = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
      const lines = run.stdout.split("\n").filter((l) => l.startsWith("{"));
      const fatal = lines.map((l) => JSON.parse(l) as { level: number; err?: { message: string } });
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.deepEqual(
        fatal.filter((l) => l.level === 60).map((l) => l.err?.message),
        [message],
      );
      assert.ok(!run.stdout.includes("capability self-test passed"), run.stdout);
    });
  }

  it("with every capability: passes, naming what it proved", async () => {
    const [command, args] = agentCommand([]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"] });
    try {
      const passed = await new Promise<{ checks: string[] }>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).on("line", (line) => {
          const parsed = JSON.parse(line) as { msg: string; checks: string[] };
          if (parsed.msg === "capability self-test passed") resolve(parsed);
        });
        child.on("exit", (code) => reject(new Error(`agent exited (${code}) before its self-test passed`)));
      });
      assert.deepEqual(passed.checks, [
        "fanotify",
        `file handles on ${snapshots}`,
        `file handles on ${pods}`,
        "read leases",
      ]);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(undefined)));
    }
  });
});
