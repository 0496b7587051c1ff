// The containerd client against a real containerd (and against no containerd at all).
import * as assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import * as path from "node:path";

import { status } from "@grpc/grpc-js";

import { ContainerdClient } from "../../../src/runtime/ContainerdClient";
import { containerdProtoDir, messageType } from "../../../src/runtime/containerdProto";
import type { ContainerdEvent } from "../../../src/runtime/containerdEvents";
import { ContainerdError } from "../../../src/runtime/ContainerdError";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import type { BuiltImage } from "../../testbed/ociImage";
import { chainIds, nextEvent, twoLayerImage } from "./helpers";

describe("ContainerdClient without containerd", () => {
  it("finds the .proto files from dist/ (tsc does not copy them)", () => {
    assert.match(__dirname, /\/dist\/test\//, "this test must run from the compiled output");
    assert.equal(containerdProtoDir(), path.resolve(__dirname, "../../../../src/runtime/proto"));
  });

  it("keeps containerd's field numbers", () => {
    const numbers = (type: string) =>
      Object.fromEntries(Object.values(messageType(type).fields).map((f) => [f.name, f.id]));
    assert.deepEqual(numbers("containerd.services.containers.v1.Container"), {
      id: 1,
      labels: 2,
      image: 3,
      runtime: 4,
      spec: 5,
      snapshotter: 6,
      snapshot_key: 7,
    });
    assert.deepEqual(numbers("containerd.v1.types.Process"), {
      container_id: 1,
      id: 2,
      pid: 3,
      status: 4,
      exit_status: 9,
    });
    assert.deepEqual(numbers("containerd.services.events.v1.Envelope"), {
      timestamp: 1,
      namespace: 2,
      topic: 3,
      event: 4,
    });
    assert.deepEqual(numbers("containerd.services.snapshots.v1.Info"), { name: 1, parent: 2, kind: 3 });
    assert.deepEqual(numbers("containerd.types.Mount"), { type: 1, source: 2, target: 3, options: 4 });
    assert.deepEqual(numbers("containerd.events.TaskExit"), { container_id: 1, id: 2, pid: 3, exit_status: 4 });
  });

  it("fails with an error naming the call, namespace, socket and what to check", async () => {
    const address = "/nonexistent/driftguard/containerd.sock";
    const client = new ContainerdClient({ address, callTimeoutMs: 2000 });
    try {
      const err = await client.listContainers("k8s.io").then(
        () => assert.fail("listContainers succeeded without containerd"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ContainerdError, `not a ContainerdError: ${String(err)}`);
      assert.equal(err.code, status.UNAVAILABLE);
      assert.equal(err.unavailable, true);
      assert.match(
        err.message,
        /^containerd Containers\.List \(namespace "k8s\.io"\) at \/nonexistent\/driftguard\/containerd\.sock: UNAVAILABLE/,
      );
      assert.match(err.message, /is containerd running/);
    } finally {
      client.close();
    }
  });
});

describe("ContainerdClient on a real containerd @root", function () {
  this.timeout(60_000);
  let bed: ContainerdTestBed | undefined;
  let client: ContainerdClient;
  let image: BuiltImage;

  before(async () => {
    bed = await ContainerdTestBed.start();
    image = twoLayerImage(bed.dir, "test/client:1", [{ kind: "file", path: "opt/app", content: "app\n" }]);
    await bed.importImage(image.archive);
    await bed.run("client-c1", image.name, ["sleep", "1000"], { labels: { team: "blue" } });
    client = new ContainerdClient({ address: bed.address });
  });
  after(async () => {
    client?.close();
    await bed?.stop();
  });

  it("lists containers and tasks, gets a container", async () => {
    const b = bed!;
    const [container] = (await client.listContainers(b.namespace)).filter((c) => c.id === "client-c1");
    assert.ok(container, "client-c1 not listed");
    assert.equal(container.image, image.name);
    assert.equal(container.labels.team, "blue");
    assert.equal(container.snapshotter, "overlayfs");
    assert.equal(container.snapshotKey, "client-c1");
    assert.match(container.spec?.value.toString() ?? "", /"ociVersion"/);
    const task = (await client.listTasks(b.namespace)).find((t) => t.containerId === "client-c1");
    assert.deepEqual(task && { pid: task.pid, status: task.status }, {
      pid: await b.taskPid("client-c1"),
      status: "RUNNING",
    });
    assert.equal((await client.getTask(b.namespace, "client-c1")).pid, task?.pid);
    assert.equal((await client.getContainer(b.namespace, "client-c1")).id, "client-c1");
    assert.deepEqual(await client.listContainers("no-such-namespace"), []);
  });

  it("reports a missing container as NOT_FOUND with the call and namespace", async () => {
    const err = await client.getContainer(bed!.namespace, "nope").catch((e: unknown) => e);
    assert.ok(err instanceof ContainerdError && err.notFound, String(err));
    assert.match(err.message, new RegExp(`Containers\\.Get \\(namespace "${bed!.namespace}"\\)`));
  });

  it("reads snapshot mounts, the layer chain and the image digest", async () => {
    const b = bed!;
    const [mount] = await client.snapshotMounts(b.namespace, "overlayfs", "client-c1");
    assert.equal(mount.type, "overlay");
    assert.ok(mount.options.some((o) => o.startsWith("lowerdir=")));
    const info = await client.statSnapshot(b.namespace, "overlayfs", "client-c1");
    assert.equal(info.kind, "ACTIVE");
    const [base, top] = chainIds(image.layerDigests);
    assert.equal(info.parent, top);
    const parent = await client.statSnapshot(b.namespace, "overlayfs", info.parent);
    assert.deepEqual(parent, { name: top, parent: base, kind: "COMMITTED" });
    assert.equal((await client.getImage(b.namespace, image.name)).digest, image.manifestDigest);
  });

  it("streams decoded events of the namespaces it filters for", async () => {
    const b = bed!;
    const events: ContainerdEvent[] = [];
    const problems: string[] = [];
    const bus = new EventEmitter();
    const subscription = client.subscribe([`namespace=="${b.namespace}"`], {
      event: (e) => {
        events.push(e);
        bus.emit("event", e);
      },
      malformed: (err) => problems.push(err.message),
      end: (err) => problems.push(err.message),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 100)); // let the subscription register
      const pid = await b.taskPid("client-c1");
      const exited = nextEvent<[ContainerdEvent]>(
        bus,
        "event",
        (e) => e.kind === "TaskExit" && e.containerId === "client-c1",
      );
      await b.kill("client-c1");
      const [exit] = await exited;
      assert.deepEqual(exit, {
        kind: "TaskExit",
        namespace: b.namespace,
        containerId: "client-c1",
        execId: "client-c1",
        pid,
        exitStatus: 137,
      });
      assert.ok(events.every((e) => e.namespace === b.namespace));
      assert.deepEqual(problems, []);
    } finally {
      subscription.cancel();
    }
  });
});
