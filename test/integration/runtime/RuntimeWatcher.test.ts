// The runtime watcher on a real containerd: attach at start and on TaskCreate, detach on
// exit and delete, records compared with what ctr reports.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { RuntimeWatcher } from "../../../src/runtime/RuntimeWatcher";
import type { ContainerRecord } from "../../../src/runtime/types";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import type { BuiltImage } from "../../testbed/ociImage";
import { captureLogger, chainIds, ctrMountOptions, nextEvent, sleep, twoLayerImage, type LogLine } from "./helpers";

const K8S_LABELS = {
  "io.kubernetes.pod.namespace": "shop",
  "io.kubernetes.pod.name": "cart-7d9f",
  "io.kubernetes.pod.uid": "5d0c1f2e-0000-4000-8000-000000000001",
  "io.kubernetes.container.name": "cart",
};

describe("RuntimeWatcher on a real containerd @root", function () {
  this.timeout(60_000);
  let bed: ContainerdTestBed | undefined;
  let watcher: RuntimeWatcher | undefined;
  let imageA: BuiltImage;
  let imageB: BuiltImage;
  let volume: string;
  let log: LogLine[];
  const attached = new Map<string, ContainerRecord>();
  const detached: string[] = [];

  before(async () => {
    const b = (bed = await ContainerdTestBed.start());
    imageA = twoLayerImage(b.dir, "test/a:1", [{ kind: "file", path: "opt/a", content: "a\n" }]);
    imageB = twoLayerImage(b.dir, "test/b:1", [{ kind: "file", path: "opt/b", content: "b\n" }]);
    await b.importImage(imageA.archive);
    await b.importImage(imageB.archive);
    volume = path.join(b.dir, "volume");
    fs.mkdirSync(volume);
    // Started before the watcher: found by the initial list.
    await b.run("early-a", imageA.name, ["sleep", "1000"], {
      labels: K8S_LABELS,
      mounts: [{ type: "bind", source: volume, destination: "/data", options: ["rbind", "rw"] }],
    });
    await b.run("early-b", imageB.name, ["sleep", "1000"]);
    const capture = captureLogger();
    log = capture.lines;
    watcher = new RuntimeWatcher({ address: b.address, namespaces: [b.namespace], logger: capture.logger });
    watcher.on("attach", (record) => attached.set(record.id, record));
    watcher.on("detach", (_namespace, id) => detached.push(id));
    await watcher.start();
  });
  after(async () => {
    await watcher?.stop();
    await bed?.stop();
  });

  it("attaches containers that ran before it started, as ctr reports them", async () => {
    const b = bed!;
    const record = attached.get("early-a");
    assert.ok(record, `early-a not attached; attached: ${[...attached.keys()].join(", ")}`);
    const options = ctrMountOptions(await b.ctr(["snapshots", "mounts", "/mnt", "early-a"]));
    assert.equal(record.rootfs.upperDir, options.upperdir);
    assert.deepEqual(record.rootfs.lowerDirs, options.lowerdir.split(":"));
    assert.equal(record.rootfs.lowerDirs.length, 2);
    assert.equal(record.pid, await b.taskPid("early-a"));
    assert.equal(record.namespace, b.namespace);
    assert.equal(record.image, imageA.name);
    assert.equal(record.imageDigest, imageA.manifestDigest);
    assert.equal(record.snapshotter, "overlayfs");
    assert.equal(record.snapshotKey, "early-a");
    assert.deepEqual(record.k8s, {
      namespace: "shop",
      pod: "cart-7d9f",
      podUid: K8S_LABELS["io.kubernetes.pod.uid"],
      container: "cart",
    });
    assert.equal(record.labels["io.kubernetes.container.name"], "cart");
    const volumeMount = record.mounts.find((m) => m.destination === "/data");
    assert.deepEqual(volumeMount, { destination: "/data", type: "bind", source: volume, options: ["rbind", "rw"] });
    assert.ok(record.mounts.some((m) => m.destination === "/proc" && m.type === "proc"));
    assert.equal(record.cgroupsPath, `/${b.namespace}/early-a`);
  });

  it("identifies layers by chain ID, equal for the base layer two images share", () => {
    const a = attached.get("early-a")!;
    const b = attached.get("early-b")!;
    assert.ok(b, "early-b not attached");
    // lowerDirs are top first; chain IDs are computed bottom first.
    assert.deepEqual(a.rootfs.layerIdentities, chainIds(imageA.layerDigests).reverse());
    assert.deepEqual(b.rootfs.layerIdentities, chainIds(imageB.layerDigests).reverse());
    assert.equal(a.rootfs.layerIdentities[1], b.rootfs.layerIdentities[1]);
    assert.equal(a.rootfs.lowerDirs[1], b.rootfs.lowerDirs[1], "the shared layer is one directory");
    assert.notEqual(a.rootfs.layerIdentities[0], b.rootfs.layerIdentities[0]);
  });

  it("attaches a container started after it, on its TaskCreate event", async () => {
    const b = bed!;
    const attachedLate = nextEvent<[ContainerRecord]>(watcher!, "attach", (r) => r.id === "late");
    await b.run("late", imageB.name, ["sleep", "1000"], { labels: { "io.kubernetes.pod.name": "late-pod" } });
    const [record] = await attachedLate;
    assert.equal(record.pid, await b.taskPid("late"));
    assert.deepEqual(record.k8s, { pod: "late-pod" });
    assert.equal(record.rootfs.lowerDirs.length, 2);
    const line = log.find((l) => l.msg === "container attached" && l.container === "late");
    assert.equal(line?.trigger, "TaskCreate", "attach must come from TaskCreate, the earliest event with a pid");
  });

  it("stays attached when an exec in the container exits", async () => {
    const b = bed!;
    const result = await b.exec("late", ["sh", "-c", "exit 3"]);
    assert.equal(result.code, 3);
    await sleep(300); // the exec's TaskExit arrives within milliseconds
    assert.ok(!detached.includes("late"), "an exec's exit detached the container");
    assert.ok(watcher!.records().some((r) => r.id === "late"));
  });

  it("detaches when the task exits, and attaches again when it is restarted", async () => {
    const b = bed!;
    const detachedOnExit = nextEvent<[string, string]>(watcher!, "detach", (_ns, id) => id === "late");
    await b.kill("late");
    const [namespace] = await detachedOnExit;
    assert.equal(namespace, b.namespace);
    assert.ok(!watcher!.records().some((r) => r.id === "late"));
    // A new task for the same container (ctr task start) is a new attach with the new pid.
    await b.ctr(["task", "rm", "late"]);
    const reattached = nextEvent<[ContainerRecord]>(watcher!, "attach", (r) => r.id === "late");
    await b.ctr(["task", "start", "-d", "--null-io", "late"]);
    const [record] = await reattached;
    assert.equal(record.pid, await b.taskPid("late"));
  });

  it("detaches once when the container is deleted", async () => {
    const b = bed!;
    const before = detached.filter((id) => id === "early-b").length;
    const gone = nextEvent<[string, string]>(watcher!, "detach", (_ns, id) => id === "early-b");
    await b.remove("early-b");
    await gone;
    await sleep(300); // TaskDelete and ContainerDelete follow; neither may detach twice
    assert.equal(detached.filter((id) => id === "early-b").length, before + 1);
    assert.ok(!watcher!.records().some((r) => r.id === "early-b"));
  });

  it("keeps working when a listener throws", async () => {
    const b = bed!;
    const thrower = (): void => {
      throw new Error("listener bug");
    };
    // EventEmitter stops calling listeners at the one that throws: listen before it.
    const seen = nextEvent<[ContainerRecord]>(watcher!, "attach", (r) => r.id === "after-throw");
    watcher!.on("attach", thrower);
    try {
      await b.run("after-throw", imageA.name, ["sleep", "1000"]);
      await seen;
      assert.ok(log.some((l) => l.msg === "runtime watcher listener threw"));
      const gone = nextEvent<[string, string]>(watcher!, "detach", (_ns, id) => id === "after-throw");
      await b.remove("after-throw");
      await gone;
    } finally {
      watcher!.off("attach", thrower);
    }
  });
});
