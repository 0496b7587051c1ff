// The agent in a cgroup namespace of its own (a pod on a cgroup v2 node) reads other
// containers' cgroups as "/../../<path>": resolved on the host's cgroup2 mount from where
// its own namespace root lies there. A fake /proc and a fake host cgroup tree stand in.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { CgroupIds, hostCgroupPath, registrableCgroupId, unifiedCgroupPath } from "../../../src/agent/cgroupId";
import type { HostView } from "../../../src/agent/HostView";
import type { Logger } from "../../../src/log/logger";
import type { ContainerRecord } from "../../../src/runtime/types";

describe("cgroupId: a container's cgroup v2 id from the agent's cgroup namespace", () => {
  it("resolves namespace-relative paths against the namespace root's host path", () => {
    const root = "/kubepods/burstable/podA/agent";
    const table: [string, string | undefined][] = [
      ["/", root],
      ["/../../../besteffort/podB/w1", "/kubepods/besteffort/podB/w1"],
      ["/../../podC/w2", "/kubepods/burstable/podC/w2"],
      ["/../../../../system.slice/x", "/system.slice/x"],
      ["/../../../../../x", undefined], // above the host's root
      ["/./sub/../sub2", `${root}/sub2`],
      ["relative", undefined],
    ];
    for (const [relative, expected] of table) assert.equal(hostCgroupPath(root, relative), expected, relative);
    assert.equal(hostCgroupPath("/", "/../x"), undefined);
    assert.equal(hostCgroupPath("/", "/default/c1"), "/default/c1");
  });

  it("takes the unified hierarchy's line of /proc/<pid>/cgroup", () => {
    assert.equal(unifiedCgroupPath("12:pids:/a\n0::/../b\n"), "/../b");
    assert.equal(unifiedCgroupPath("12:pids:/a\n"), undefined);
  });

  describe("on a fake node", () => {
    let dir: string;
    let view: HostView;
    const mkdir = (p: string, procs: number[] = []): number => {
      const full = path.join(dir, "host/sys/fs/cgroup", p);
      fs.mkdirSync(full, { recursive: true });
      fs.writeFileSync(path.join(full, "cgroup.procs"), procs.map((pid) => `${pid}\n`).join(""));
      return fs.statSync(full).ino;
    };
    const proc = (pid: string, file: string, content: string): void => {
      fs.mkdirSync(path.join(dir, "proc", pid, path.dirname(file)), { recursive: true });
      fs.writeFileSync(path.join(dir, "proc", pid, file), content);
    };

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "driftguard-cgroupid-"));
      proc("1", "mountinfo", "30 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n");
      proc("1", "ns/cgroup", "host namespace");
      view = {
        rootPrefix: path.join(dir, "host"),
        mountinfoPath: path.join(dir, "proc/1/mountinfo"),
        mountNamespace: 1,
        source: "pid1",
      };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("finds another pod's container from a private namespace, through the host's mount", () => {
      mkdir("/kubepods/burstable/podA/agent", [4242]);
      const workload = mkdir("/kubepods/besteffort/podB/w1", [77]);
      mkdir("/kubepods/besteffort/podB/w1-decoy-sibling", [78]);
      proc("self", "ns/cgroup", "agent namespace");
      proc("self", "cgroup", "0::/\n");
      proc("77", "cgroup", "0::/../../../besteffort/podB/w1\n");
      const ids = new CgroupIds(view, path.join(dir, "proc"), 4242);
      assert.equal(ids.ofProcess(77), workload);
      assert.equal(ids.ofProcess(99), undefined, "a process that is gone");
    });

    it("accounts for the agent having moved below its namespace root", () => {
      mkdir("/kubepods/podA/agent/sub", [4242]);
      const workload = mkdir("/kubepods/podB/w1", [77]);
      proc("self", "ns/cgroup", "agent namespace");
      proc("self", "cgroup", "0::/sub\n");
      proc("77", "cgroup", "0::/../../podB/w1\n");
      assert.equal(new CgroupIds(view, path.join(dir, "proc"), 4242).ofProcess(77), workload);
    });

    it("takes paths as they are when the agent shares the host's cgroup namespace", () => {
      const workload = mkdir("/default/c1", [77]);
      fs.mkdirSync(path.join(dir, "proc/self"), { recursive: true });
      fs.symlinkSync(path.join(dir, "proc/1/ns"), path.join(dir, "proc/self/ns")); // the same namespace
      proc("77", "cgroup", "0::/default/c1\n");
      assert.equal(new CgroupIds(view, path.join(dir, "proc"), 4242).ofProcess(77), workload);
    });

    it("tells the agent's own cgroup and those above it (the root too) from others", () => {
      const pod = mkdir("/kubepods/burstable/podA");
      const root = fs.statSync(path.join(dir, "host/sys/fs/cgroup")).ino;
      const own = mkdir("/kubepods/burstable/podA/agent", [4242]);
      const sandbox = mkdir("/kubepods/burstable/podA/sandbox", [4241]);
      const below = mkdir("/kubepods/burstable/podA/agent/child", [4243]);
      const workload = mkdir("/kubepods/besteffort/podB/w1", [77]);
      proc("self", "ns/cgroup", "agent namespace");
      proc("self", "cgroup", "0::/\n");
      const cases: [string, string, object | undefined][] = [
        ["another pod's container", "0::/../../../besteffort/podB/w1\n", { id: workload }],
        ["the agent's pod's sandbox", "0::/../sandbox\n", { id: sandbox }],
        ["a cgroup below the agent's", "0::/child\n", { id: below }],
        ["the agent's own", "0::/\n", { id: own, agentLineage: "own" }],
        ["the agent's pod", "0::/..\n", { id: pod, agentLineage: "ancestor" }],
        ["the cgroup2 root", "0::/../../../..\n", { id: root, agentLineage: "ancestor" }],
      ];
      const ids = new CgroupIds(view, path.join(dir, "proc"), 4242);
      for (const [what, cgroup, expected] of cases) {
        proc("77", "cgroup", cgroup);
        assert.deepEqual(ids.ofContainer(77), expected, what);
      }
    });

    it("registers neither the agent's cgroup nor one above it with the sensor, and says why", () => {
      const own = mkdir("/kubepods/podA/agent", [4242]);
      const workload = mkdir("/kubepods/podB/w1", [77]);
      proc("self", "ns/cgroup", "agent namespace");
      proc("self", "cgroup", "0::/\n");
      const ids = new CgroupIds(view, path.join(dir, "proc"), 4242);
      const logged: { level: string; msg: string; facts: Record<string, unknown> }[] = [];
      const logger = {
        warn: (facts: Record<string, unknown>, msg: string) => logged.push({ level: "warn", msg, facts }),
        error: (facts: Record<string, unknown>, msg: string) => logged.push({ level: "error", msg, facts }),
      } as unknown as Logger;
      const record = { id: "c1", namespace: "k8s.io", pid: 77 } as ContainerRecord;
      proc("77", "cgroup", "0::/../../podB/w1\n");
      assert.equal(registrableCgroupId(ids, record, logger), workload);
      assert.equal(logged.length, 0, JSON.stringify(logged));
      proc("77", "cgroup", "0::/\n");
      assert.equal(registrableCgroupId(ids, record, logger), undefined);
      assert.equal(logged.at(-1)?.level, "warn");
      assert.match(logged.at(-1)!.msg, /agent's own cgroup.*not registered/);
      assert.deepEqual(logged.at(-1)?.facts, { container: "c1", namespace: "k8s.io", pid: 77, cgroupId: own });
      for (const cgroup of ["0::/..\n", "0::/../../..\n"]) {
        proc("77", "cgroup", cgroup);
        assert.equal(registrableCgroupId(ids, record, logger), undefined, cgroup);
        assert.equal(logged.at(-1)?.level, "error");
        assert.match(logged.at(-1)!.msg, /cgroup2 root or a cgroup above the agent's.*not registered/);
      }
      proc("77", "cgroup", "0::/../../gone\n");
      assert.equal(registrableCgroupId(ids, record, logger), undefined);
      assert.match(logged.at(-1)!.msg, /^no cgroup v2 id/);
    });

    it("gives up (undefined) when its own cgroup is nowhere on the host", () => {
      mkdir("/kubepods/podB/w1", [77]);
      proc("self", "ns/cgroup", "agent namespace");
      proc("self", "cgroup", "0::/\n");
      proc("77", "cgroup", "0::/../podB/w1\n");
      assert.equal(new CgroupIds(view, path.join(dir, "proc"), 4242).ofProcess(77), undefined);
    });
  });
});
