// ContainerAttacher's reference counting and races, with every dependency a fake: the
// guard keeps the tables the native side would (and refuses a container naming an image
// it does not hold, as TablesBuilder does), the baseline builder answers when the test says.
import * as assert from "node:assert/strict";

import { ContainerAttacher, type ContainerFollower } from "../../../src/agent/ContainerAttacher";
import type { DiscoveredVolumes } from "../../../src/agent/containerVolumes";
import type { ImageTableResult } from "../../../src/baseline/BaselineBuilder";
import {
  IMAGE_FILE_EXECUTABLE,
  IMAGE_FILE_HASHED,
  type NativeContainer,
  type TablesChange,
} from "../../../src/native/binding";
import { FixedModePolicy, type PolicySource } from "../../../src/policy/PolicySource";
import type { ContainerRecord } from "../../../src/runtime/types";
import { containerRecord, memoryLogger } from "../policy/fixtures";

class FakeGuard {
  readonly images = new Set<string>();
  readonly containers = new Map<string, NativeContainer>();
  readonly unmarked: number[] = [];
  readonly changes: TablesChange[] = [];

  apply(change: TablesChange): void {
    const images = new Set(this.images);
    for (const { key } of change.putImages ?? []) images.add(key);
    for (const key of change.dropImages ?? []) images.delete(key);
    for (const c of change.putContainers ?? []) {
      if (c.imageKey !== "" && !images.has(c.imageKey)) throw new Error(`container ${c.id} names unknown image`);
    }
    this.changes.push(change);
    this.images.clear();
    images.forEach((key) => this.images.add(key));
    for (const id of change.removeContainers ?? []) this.containers.delete(id);
    for (const c of change.putContainers ?? []) this.containers.set(c.id, c);
  }

  markFilesystem(): { dev: number; added: boolean } {
    throw new Error("volumes are discovered by the test's own function");
  }

  unmarkFilesystem(dev: number): void {
    this.unmarked.push(dev);
  }
}

/** Each imageTable() call waits until the test resolves or rejects it. */
class FakeBuilder {
  readonly calls: { resolve: (r: ImageTableResult) => void; reject: (e: Error) => void }[] = [];

  imageTable(): Promise<ImageTableResult> {
    return new Promise((resolve, reject) => this.calls.push({ resolve, reject }));
  }
}

const BUILT: ImageTableResult = {
  table: {
    files: ["/bin/sh"],
    digests: Buffer.alloc(32, 0xab),
    flags: Uint8Array.of(IMAGE_FILE_EXECUTABLE | IMAGE_FILE_HASHED),
    sizes: Float64Array.of(1000),
    otherPaths: [],
  },
  programDigests: new Map([["/bin/sh", "ab".repeat(32)]]),
  stats: {} as ImageTableResult["stats"],
};

class RecordingFollower implements ContainerFollower {
  readonly events: string[] = [];
  attach(key: string, record: ContainerRecord): void {
    this.events.push(`attach ${key} pid ${record.pid}`);
  }
  async imageSettled(key: string, record: ContainerRecord, digests: ReadonlyMap<string, string> | undefined) {
    this.events.push(`settled ${key} pid ${record.pid} ${digests ? "digests" : "none"}`);
  }
  detach(key: string): void {
    this.events.push(`detach ${key}`);
  }
}

/** A container of image "a" (or another); pid 1xx has the private filesystem 1xx. */
function record(id: string, pid: number, layers = ["layer-a"]): ContainerRecord {
  return containerRecord(
    id,
    {},
    {
      namespace: "ns",
      pid,
      rootfs: { upperDir: `/snap/${id}/fs`, lowerDirs: layers.map((l) => `/snap/${l}/fs`), layerIdentities: layers },
    },
  );
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function setUp(policies: PolicySource = new FixedModePolicy("enforce")) {
  const guard = new FakeGuard();
  const builder = new FakeBuilder();
  const follower = new RecordingFollower();
  const attacher = new ContainerAttacher({
    guard,
    marks: guard,
    builder,
    policies,
    view: { rootPrefix: "", mountinfoPath: "/proc/self/mountinfo", mountNamespace: 0, source: "self" },
    logger: memoryLogger().logger,
    snapshotRoots: new Set(["/snap"]),
    runtime: { cgroupLeaf: (r) => `${r.id}-${r.pid}`, snapshotRootOf: () => undefined },
    followers: [follower],
    discoverVolumes: (r): DiscoveredVolumes => ({
      volumes: [{ source: "", dev: r.pid, destination: "/run" }],
      privateDevices: [r.pid],
      problems: [],
    }),
  });
  return { guard, builder, follower, attacher };
}

/** Resolves to true once the promise settled, false while it has not. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await settle();
  return done;
}

describe("ContainerAttacher", () => {
  it("puts a container in at once and its image once the baseline is built", async () => {
    const { guard, builder, attacher } = setUp();
    const attached = attacher.attach(record("c1", 101));
    assert.equal(guard.containers.get("ns/c1")?.imageKey, "", "writable-layer execs wait for the baseline");
    assert.equal(await hasSettled(attached), false);
    builder.calls[0].resolve(BUILT);
    await attached;
    const key = guard.containers.get("ns/c1")!.imageKey;
    assert.notEqual(key, "");
    assert.ok(guard.images.has(key));
  });

  it("detach during the baseline build: neither the container nor its image comes back", async () => {
    const { guard, builder, follower, attacher } = setUp();
    const attached = attacher.attach(record("c1", 101));
    attacher.detach("ns", "c1");
    assert.deepEqual([...guard.containers.keys()], []);
    assert.deepEqual(guard.unmarked, [101]);
    builder.calls[0].resolve(BUILT);
    await attached;
    await settle();
    assert.deepEqual([...guard.containers.keys()], [], "the container was put back");
    assert.deepEqual([...guard.images], [], "the image of a container that left is held");
    assert.deepEqual(follower.events, ["attach ns/c1 pid 101", "detach ns/c1"], "followers heard of it after detach");
    assert.equal(attacher.size, 0);
  });

  it("restart during the baseline build: the baseline goes to the new task, the old one's filesystems are let go", async () => {
    const { guard, builder, follower, attacher } = setUp();
    const first = attacher.attach(record("c1", 101));
    await attacher.attach(record("c1", 202)); // the task restarted: nothing to wait for
    assert.deepEqual(guard.unmarked, [101]);
    assert.equal(guard.containers.get("ns/c1")?.cgroupLeaf, "c1-202");
    assert.deepEqual(guard.containers.get("ns/c1")?.volumes, [{ source: "", dev: 202, destination: "/run" }]);
    builder.calls[0].resolve(BUILT);
    await first;
    await settle();
    const spec = guard.containers.get("ns/c1")!;
    assert.equal(spec.cgroupLeaf, "c1-202", "the baseline put the old task's cgroup back");
    assert.deepEqual(spec.volumes, [{ source: "", dev: 202, destination: "/run" }]);
    assert.notEqual(spec.imageKey, "");
    assert.equal(builder.calls.length, 1);
    assert.deepEqual(follower.events, [
      "attach ns/c1 pid 101",
      "attach ns/c1 pid 202",
      "settled ns/c1 pid 202 digests",
    ]);
    attacher.detach("ns", "c1");
    assert.deepEqual(guard.unmarked, [101, 202]);
  });

  it("shared image: built once, every user waits for it, dropped with the last user", async () => {
    const { guard, builder, attacher } = setUp();
    const a = attacher.attach(record("c1", 101));
    const b = attacher.attach(record("c2", 102));
    const other = attacher.attach(record("c3", 103, ["layer-b"]));
    assert.equal(builder.calls.length, 2, "one build per distinct image");
    assert.equal(await hasSettled(b), false, "the second user must wait for the baseline");
    builder.calls[0].resolve(BUILT);
    await Promise.all([a, b]);
    const key = guard.containers.get("ns/c1")!.imageKey;
    assert.equal(guard.containers.get("ns/c2")!.imageKey, key);
    attacher.detach("ns", "c1");
    assert.ok(guard.images.has(key), "dropped while c2 still uses it");
    assert.equal(guard.containers.get("ns/c2")!.imageKey, key);
    attacher.detach("ns", "c2");
    assert.ok(!guard.images.has(key), "kept after its last user left");
    builder.calls[1].resolve(BUILT);
    await other;
    assert.equal(guard.images.size, 1);
  });

  it("shared image: the first user leaving during the build does not cost the second its baseline", async () => {
    const { guard, builder, attacher } = setUp();
    const a = attacher.attach(record("c1", 101));
    const b = attacher.attach(record("c2", 102));
    attacher.detach("ns", "c1");
    builder.calls[0].resolve(BUILT);
    await Promise.all([a, b]);
    const spec = guard.containers.get("ns/c2")!;
    assert.notEqual(spec.imageKey, "");
    assert.ok(guard.images.has(spec.imageKey));
    assert.ok(!guard.containers.has("ns/c1"));
  });

  it("a failed baseline decides every user's writable layer without one, and lets them all go on", async () => {
    const { guard, builder, follower, attacher } = setUp();
    const a = attacher.attach(record("c1", 101));
    const b = attacher.attach(record("c2", 102));
    builder.calls[0].reject(new Error("layer unreadable"));
    await Promise.all([a, b]);
    await settle();
    for (const id of ["ns/c1", "ns/c2"]) {
      assert.equal(guard.containers.get(id)?.baselineFailed, true, id);
      assert.equal(guard.containers.get(id)?.imageKey, "", id);
    }
    assert.ok(follower.events.includes("settled ns/c2 pid 102 none"));
    const c3 = attacher.attach(record("c3", 103));
    assert.equal(await hasSettled(c3), true, "a later user of the failed image waits for nothing");
    assert.equal(guard.containers.get("ns/c3")?.baselineFailed, true);
  });

  it("hands every loaded deny rule to the guard on attach and on every policy change, even with no container", async () => {
    let denied = ["/usr/bin/nc"];
    const fixed = new FixedModePolicy("enforce");
    const policies: PolicySource = { policyFor: () => fixed.policyFor(), onChange: () => {}, denyPaths: () => denied };
    const { guard, builder, attacher } = setUp(policies);
    attacher.refreshPolicies();
    assert.deepEqual(guard.changes.at(-1), { putContainers: [], loadedDenyPaths: ["/usr/bin/nc"] });
    const attached = attacher.attach(record("c1", 101));
    assert.deepEqual(guard.changes.at(-1)?.loadedDenyPaths, ["/usr/bin/nc"]);
    builder.calls[0].resolve(BUILT);
    await attached;
    denied = ["/usr/bin/nc", "/bin/wget"];
    attacher.refreshPolicies();
    assert.deepEqual(guard.changes.at(-1)?.loadedDenyPaths, ["/usr/bin/nc", "/bin/wget"]);
    assert.deepEqual(
      guard.changes.at(-1)?.putContainers?.map((c) => c.id),
      ["ns/c1"],
    );
  });
});
