// The owning workload the agent infers from a pod's name and its labels (the sandbox's), one
// row per controller, including the cases it can only guess.
import * as assert from "node:assert/strict";

import { podOwner } from "../../../src/runtime/podOwner";

const ROWS: [string, string, Record<string, string>, [string, string] | undefined][] = [
  [
    "a Deployment's pod",
    "payments-api-7d9f8c6b5-x2x1z",
    { "pod-template-hash": "7d9f8c6b5" },
    ["deployment", "payments-api"],
  ],
  [
    "a Deployment whose pod name was cut",
    "a-very-long-name-x2x1z",
    { "pod-template-hash": "zzz" },
    ["deployment", "a-very-long-name"],
  ],
  ["a StatefulSet's pod", "pg-2", { "statefulset.kubernetes.io/pod-name": "pg-2" }, ["statefulset", "pg"]],
  [
    "a DaemonSet's pod",
    "fluentd-abcde",
    { "controller-revision-hash": "1", "pod-template-generation": "3" },
    ["daemonset", "fluentd"],
  ],
  ["a Job's pod", "migrate-abcde", { "batch.kubernetes.io/job-name": "migrate" }, ["job", "migrate"]],
  ["a CronJob's Job's pod", "backup-29000000-abcde", { "job-name": "backup-29000000" }, ["cronjob", "backup"]],
  ["a bare pod", "debug", {}, ["pod", "debug"]],
  [
    "a pod whose StatefulSet label names another pod",
    "pg-2",
    { "statefulset.kubernetes.io/pod-name": "pg-3" },
    ["pod", "pg-2"],
  ],
  ["no pod", "", { "pod-template-hash": "x" }, undefined],
];

describe("podOwner", () => {
  for (const [name, pod, labels, expected] of ROWS) {
    it(name, () => {
      const owner = podOwner(pod, labels);
      assert.deepEqual(owner && [owner.kind, owner.name], expected);
      if (owner) assert.ok(owner.inferredFrom.length > 0, "says what it was inferred from");
    });
  }
});
