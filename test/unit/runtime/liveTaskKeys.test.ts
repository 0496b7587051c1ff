// The containers the exec fast path's resume check waits for: every task that is created or
// running (or paused) in a watched namespace; stopped tasks and tasks without a process not.
import * as assert from "node:assert/strict";

import type { ContainerdTask } from "../../../src/runtime/ContainerdClient";
import { containerKey } from "../../../src/runtime/containerKey";
import { listLiveTaskKeys } from "../../../src/runtime/liveContainers";

const task = (containerId: string, status: ContainerdTask["status"], pid = 100): ContainerdTask => ({
  containerId,
  id: containerId,
  pid,
  status,
});

describe("listLiveTaskKeys", () => {
  it("keys every live task of each namespace, from the task lists alone", async () => {
    const tasks: Record<string, ContainerdTask[]> = {
      "k8s.io": [
        task("created", "CREATED"),
        task("running", "RUNNING"),
        task("paused", "PAUSED"),
        task("stopped", "STOPPED"),
        task("no-process", "CREATED", 0),
      ],
      moby: [task("other", "RUNNING")],
    };
    const listed: string[] = [];
    const client = {
      listTasks: async (namespace: string) => (listed.push(namespace), tasks[namespace] ?? []),
    };
    const keys = await listLiveTaskKeys(client, ["k8s.io", "moby", "empty"], containerKey);
    assert.deepEqual([...keys].sort(), ["k8s.io/created", "k8s.io/paused", "k8s.io/running", "moby/other"]);
    assert.deepEqual(listed, ["k8s.io", "moby", "empty"]);
  });

  it("fails when a namespace cannot be listed (the marks then stay paused)", async () => {
    const client = { listTasks: async () => Promise.reject(new Error("UNAVAILABLE")) };
    await assert.rejects(listLiveTaskKeys(client, ["k8s.io"], containerKey), /UNAVAILABLE/);
  });
});
