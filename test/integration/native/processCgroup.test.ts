// Who runs an exec, by cgroup id (kernels with PIDFD_GET_INFO): the id's owner is cached for
// good, so the cgroup path it is cached with must be the same process's. The attack: a
// container process exec's, and a sibling kills and reaps it while the guard looks it up;
// its /proc/<pid>/cgroup is gone (or, after pid reuse, another process's) between the id and
// the path. Read as "no cgroup", the container's id was cached as the host's and every later
// exec of the container went unjudged. ProcessHandle holds a pidfd from the id to the path.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";

import { nativeTestBinding } from "../../testbed/nativeTestBinding";

describe("ProcessHandle: a process ending between its cgroup id and its cgroup path", () => {
  const binding = nativeTestBinding();
  before(function () {
    if (binding.cgroupOfEndingProcess("running").unsupported) this.skip(); // kernel < 6.13: by mount namespace
  });

  it("reads a running process's own path", () => {
    const r = binding.cgroupOfEndingProcess("running");
    assert.ok(r.id > 0);
    assert.equal(r.pathIsItsOwn, true);
    assert.equal(r.path, r.expectedPath);
    assert.match(r.path, /^\//);
  });

  it("reads a zombie's path: it keeps its cgroup, and its pid is not free", () => {
    const r = binding.cgroupOfEndingProcess("zombie");
    assert.equal(r.pathIsItsOwn, true);
    assert.equal(r.path, r.expectedPath);
  });

  it("says a process reaped in between is gone, never that it has no cgroup", () => {
    const r = binding.cgroupOfEndingProcess("reaped");
    assert.ok(r.id > 0, "the id was read while it ran");
    assert.equal(r.pathIsItsOwn, false, `read as ${JSON.stringify(r.path)}`);
  });

  it("is what the guard's owner lookup uses", () => {
    // ProcessOwners::fromCgroupId must take the path from the same handle as the id.
    const source = fs.readFileSync(`${__dirname}/../../../../native/guard/ProcessOwners.cc`, "utf8");
    const lookup = source.slice(source.indexOf("Owner ProcessOwners::fromCgroupId"));
    assert.match(lookup, /ProcessHandle process\(pid\)/);
    assert.match(lookup, /process\.cgroupPath\(&cgroup\)/);
    assert.doesNotMatch(lookup.slice(0, lookup.indexOf("Owner ProcessOwners::fromMountNamespace")), /cgroupOf\(pid\)/);
  });
});
