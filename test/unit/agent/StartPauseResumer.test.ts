// When the agent lets exec ignore marks come back after a container start paused them: only
// once every live containerd task is attached, naming the pause it saw, never while no
// runtime binary is watched, and not when containerd cannot be asked.
import * as assert from "node:assert/strict";

import type { StartPause } from "../../../src/native/binding";
import { StartPauseResumer } from "../../../src/agent/StartPauseResumer";
import { memoryLogger } from "../policy/fixtures";

function fakeGuard(watched: number) {
  const state: StartPause = { paused: true, seq: 7, runtimesWatched: watched };
  const resumes: number[] = [];
  return {
    state,
    resumes,
    watchRuntimeBinaries: () => state.runtimesWatched,
    startPause: () => ({ ...state }),
    resumeIgnoreMarks: (seq: number) => {
      resumes.push(seq);
      if (seq !== state.seq) return false;
      state.paused = false;
      return true;
    },
  };
}

describe("StartPauseResumer", () => {
  const live = new Set(["ns/a", "ns/b"]);

  it("resumes, naming the pause it read, only when every live task is attached", async () => {
    const guard = fakeGuard(1);
    const attached = new Set(["ns/a"]);
    const { logger } = memoryLogger();
    const resumer = new StartPauseResumer({
      guard,
      runtimeBinaries: ["/usr/bin/runc"],
      liveContainers: async () => live,
      attached: (key) => attached.has(key),
      logger,
    });
    assert.equal(await resumer.tick(), false, "ns/b is pending");
    assert.deepEqual(guard.resumes, []);
    attached.add("ns/b");
    await new Promise((resolve) => setTimeout(resolve, 25)); // the first back-off
    assert.equal(await resumer.tick(), true);
    assert.deepEqual(guard.resumes, [7]);
  });

  it("a pause that came while containerd was listed wins: the guard refuses the older seq", async () => {
    const guard = fakeGuard(1);
    const { logger } = memoryLogger();
    const resumer = new StartPauseResumer({
      guard,
      runtimeBinaries: ["/usr/bin/runc"],
      liveContainers: async () => {
        guard.state.seq++; // a runtime exec meanwhile
        return live;
      },
      attached: () => true,
      logger,
    });
    assert.equal(await resumer.tick(), false);
    assert.deepEqual(guard.resumes, [7]);
    assert.equal(guard.state.paused, true);
  });

  it("never resumes without a watched runtime binary, and says so", async () => {
    const guard = fakeGuard(0);
    const { logger, lines } = memoryLogger();
    const resumer = new StartPauseResumer({
      guard,
      runtimeBinaries: ["/nowhere/runc"],
      liveContainers: async () => new Set(),
      attached: () => true,
      logger,
    });
    assert.equal(resumer.start(), 0);
    resumer.stop();
    assert.equal(await resumer.tick(), false);
    assert.deepEqual(guard.resumes, []);
    assert.ok(lines.some((l) => String(l.msg).startsWith("no container runtime binary found")));
  });

  it("backs off while a container stays unattached, instead of listing containerd every tick", async () => {
    const guard = fakeGuard(1);
    const { logger } = memoryLogger();
    let lists = 0;
    const resumer = new StartPauseResumer({
      guard,
      runtimeBinaries: ["/usr/bin/runc"],
      liveContainers: async () => (lists++, live),
      attached: () => false,
      logger,
    });
    const until = Date.now() + 300;
    while (Date.now() < until) {
      await resumer.tick();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(lists >= 2 && lists <= 6, `listed ${lists} times in 300 ms`);
    assert.deepEqual(guard.resumes, []);
  });

  it("stays paused when containerd cannot be listed", async () => {
    const guard = fakeGuard(1);
    const { logger, lines } = memoryLogger();
    const resumer = new StartPauseResumer({
      guard,
      runtimeBinaries: ["/usr/bin/runc"],
      liveContainers: async () => Promise.reject(new Error("UNAVAILABLE")),
      attached: () => true,
      logger,
    });
    assert.equal(await resumer.tick(), false);
    assert.deepEqual(guard.resumes, []);
    assert.ok(lines.some((l) => String(l.msg).includes("stay paused")));
  });
  it("checks a pause as soon as the guard reports it, and again for one that came during the check", async () => {
    const guard = fakeGuard(1);
    let listener: () => void = () => assert.fail("no listener registered");
    let lists = 0;
    const { logger } = memoryLogger();
    const resumer = new StartPauseResumer({
      guard: { ...guard, onStartPause: (l: () => void) => (listener = l) },
      runtimeBinaries: ["/usr/bin/runc"],
      liveContainers: async () => {
        if (++lists === 1) {
          guard.state.seq++; // a second runtime exec while the first check lists
          listener();
        }
        return live;
      },
      attached: () => true,
      logger,
      intervalMs: 3_600_000, // the periodic check never runs here
    });
    resumer.start();
    try {
      guard.state.seq = 7;
      listener();
      const deadline = Date.now() + 2000;
      while (guard.state.paused && Date.now() < deadline) await new Promise((r) => setImmediate(r));
      assert.equal(guard.state.paused, false, "resumed without a tick");
      assert.deepEqual(guard.resumes, [7, 8], "the first check named the older pause and was refused");
      assert.equal(lists, 2);
    } finally {
      resumer.stop();
    }
  });
});
