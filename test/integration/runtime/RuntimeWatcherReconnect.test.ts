// The runtime watcher across containerd restarts: it notices, retries, and reconciles
// what changed while it was not listening.
import * as assert from "node:assert/strict";

import { RuntimeWatcher } from "../../../src/runtime/RuntimeWatcher";
import type { ContainerRecord } from "../../../src/runtime/types";
import { ContainerdTestBed } from "../../testbed/ContainerdTestBed";
import type { BuiltImage } from "../../testbed/ociImage";
import { captureLogger, nextEvent, sleep, twoLayerImage, type LogLine } from "./helpers";

function waitForExit(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return (async () => {
    for (;;) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      if (Date.now() > deadline) throw new Error(`pid ${pid} still alive after ${timeoutMs} ms`);
      await sleep(10);
    }
  })();
}

describe("RuntimeWatcher across containerd restarts @root", function () {
  this.timeout(60_000);
  let bed: ContainerdTestBed | undefined;
  let image: BuiltImage;
  const watchers: RuntimeWatcher[] = [];

  before(async () => {
    bed = await ContainerdTestBed.start();
    image = twoLayerImage(bed.dir, "test/reconnect:1", [{ kind: "file", path: "opt/r", content: "r\n" }]);
    await bed.importImage(image.archive);
  });
  after(async () => {
    await Promise.all(watchers.map((w) => w.stop()));
    await bed?.stop();
  });

  it("reconnects and reconciles: detaches what vanished, attaches what appeared", async () => {
    const b = bed!;
    await b.run("keep", image.name, ["sleep", "1000"]);
    await b.run("doomed", image.name, ["sleep", "1000"]);
    const { logger, lines } = captureLogger();
    // A first retry 2–4 s after the loss leaves time to change things while it is away.
    const watcher = new RuntimeWatcher({
      address: b.address,
      namespaces: [b.namespace],
      logger,
      reconnect: { initialMs: 4000, maxMs: 8000 },
    });
    watchers.push(watcher);
    const attaches: ContainerRecord[] = [];
    const detaches: string[] = [];
    const connects: number[] = [];
    watcher.on("attach", (r) => attaches.push(r));
    watcher.on("detach", (_ns, id) => detaches.push(id));
    watcher.on("connected", ({ containers }) => connects.push(containers));
    await watcher.start();
    assert.deepEqual(attaches.map((r) => r.id).sort(), ["doomed", "keep"]);
    assert.deepEqual(connects, [2]);

    const disconnected = nextEvent<[{ error: string; retryInMs: number }]>(watcher, "disconnected", () => true);
    await b.stopContainerd();
    const [lost] = await disconnected;
    const lostAt = Date.now();
    assert.ok(lost.retryInMs >= 2000, `retry in ${lost.retryInMs} ms`);
    assert.match(lost.error, /Events\.Subscribe/);

    // While containerd is down, doomed's process dies; once it is back (and before the
    // watcher retries), doomed is removed and a newcomer starts. No event reaches the watcher.
    const doomedPid = attaches.find((r) => r.id === "doomed")!.pid;
    process.kill(doomedPid, "SIGKILL");
    await waitForExit(doomedPid);
    await b.startContainerd();
    await b.remove("doomed");
    await b.run("newcomer", image.name, ["sleep", "1000"]);
    assert.equal(connects.length, 1, "the watcher reconnected before the test finished its changes");
    assert.ok(Date.now() - lostAt < lost.retryInMs, "changes took longer than the watcher's retry delay");

    const [{ containers }] = await nextEvent<[{ containers: number }]>(watcher, "connected", () => true, 10_000);
    assert.equal(containers, 2);
    assert.deepEqual(detaches, ["doomed"]);
    assert.deepEqual(attaches.map((r) => r.id).sort(), ["doomed", "keep", "newcomer"], "keep must not be re-attached");
    const newcomer = attaches.find((r) => r.id === "newcomer")!;
    assert.equal(newcomer.pid, await b.taskPid("newcomer"));
    const trigger = (id: string): unknown =>
      lines.find((l: LogLine) => l.container === id && /attached|detached/.test(l.msg))?.trigger;
    assert.equal(trigger("newcomer"), "list");
    assert.deepEqual(
      watcher
        .records()
        .map((r) => r.id)
        .sort(),
      ["keep", "newcomer"],
    );

    // Events flow again on the new connection.
    const keepGone = nextEvent<[string, string]>(watcher, "detach", (_ns, id) => id === "keep");
    await b.kill("keep");
    await keepGone;
  });

  it("waits for containerd when it is not there at start, with growing delays", async () => {
    const b = bed!;
    await b.run("waiting", image.name, ["sleep", "1000"]);
    await b.stopContainerd();
    const { logger } = captureLogger();
    const watcher = new RuntimeWatcher({
      address: b.address,
      namespaces: [b.namespace],
      logger,
      reconnect: { initialMs: 100, maxMs: 400 },
    });
    watchers.push(watcher);
    const delays: number[] = [];
    const errors: string[] = [];
    watcher.on("disconnected", ({ retryInMs, error }) => {
      delays.push(retryInMs);
      errors.push(error);
    });
    const attached: string[] = [];
    watcher.on("attach", (r) => attached.push(r.id));
    let started = false;
    const starting = watcher.start().then(() => (started = true));
    while (delays.length < 4) await sleep(50);
    assert.equal(started, false, "start() resolved without containerd");
    assert.ok(delays[3] >= 200, `delays did not grow: ${delays.join(", ")}`);
    assert.ok(
      delays.every((d) => d <= 400),
      `a delay exceeded the cap: ${delays.join(", ")}`,
    );
    assert.match(errors[0], /UNAVAILABLE/);
    await b.startContainerd();
    await starting;
    assert.ok(attached.includes("waiting"));
  });

  it("stops promptly while containerd is away", async () => {
    const b = bed!;
    await b.stopContainerd();
    const { logger } = captureLogger();
    const watcher = new RuntimeWatcher({ address: b.address, namespaces: [b.namespace], logger });
    const starting = watcher.start();
    await nextEvent(watcher, "disconnected", () => true);
    const began = Date.now();
    await watcher.stop();
    await starting;
    assert.ok(Date.now() - began < 500, `stop took ${Date.now() - began} ms`);
    await b.startContainerd();
  });
});
