// Event payloads encoded with the same .proto files, byte-compared against hand-made
// protobuf encodings so that a wrong field number in the .proto files fails here.
import * as assert from "node:assert/strict";

import { decodeEnvelope, isInitProcess, typeNameOf } from "../../../src/runtime/containerdEvents";

/** Minimal protobuf writer: (field, value) pairs of varints and strings. */
function encode(fields: [number, number | string][]): Uint8Array {
  const out: number[] = [];
  const varint = (n: number): void => {
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
  };
  for (const [field, value] of fields) {
    if (typeof value === "number") {
      varint((field << 3) | 0);
      varint(value);
    } else {
      const bytes = Buffer.from(value);
      varint((field << 3) | 2);
      varint(bytes.length);
      out.push(...bytes);
    }
  }
  return Uint8Array.from(out);
}

const envelope = (typeUrl: string, value: Uint8Array) => ({
  namespace: "k8s.io",
  topic: "/t",
  event: { type_url: typeUrl, value },
});

describe("decodeEnvelope", () => {
  it("decodes TaskCreate (pid is field 6)", () => {
    const value = encode([
      [1, "c1"],
      [2, "/run/bundle"],
      [6, 4242],
    ]);
    assert.deepEqual(decodeEnvelope(envelope("containerd.events.TaskCreate", value)), {
      kind: "TaskCreate",
      namespace: "k8s.io",
      containerId: "c1",
      pid: 4242,
    });
  });

  it("decodes TaskStart, TaskExit and TaskDelete with containerd's field numbers", () => {
    assert.deepEqual(
      decodeEnvelope(
        envelope(
          "containerd.events.TaskStart",
          encode([
            [1, "c1"],
            [2, 7],
          ]),
        ),
      ),
      {
        kind: "TaskStart",
        namespace: "k8s.io",
        containerId: "c1",
        pid: 7,
      },
    );
    const exit = encode([
      [1, "c1"],
      [2, "exec-1"],
      [3, 9],
      [4, 137],
    ]);
    assert.deepEqual(decodeEnvelope(envelope("containerd.events.TaskExit", exit)), {
      kind: "TaskExit",
      namespace: "k8s.io",
      containerId: "c1",
      execId: "exec-1",
      pid: 9,
      exitStatus: 137,
    });
    const del = encode([
      [1, "c1"],
      [2, 9],
      [3, 137],
      [5, "c1"],
    ]);
    assert.deepEqual(decodeEnvelope(envelope("containerd.events.TaskDelete", del)), {
      kind: "TaskDelete",
      namespace: "k8s.io",
      containerId: "c1",
      execId: "c1",
      pid: 9,
    });
  });

  it("decodes ContainerCreate and ContainerDelete, also with a type.googleapis.com prefix", () => {
    const create = encode([
      [1, "c2"],
      [2, "docker.io/library/busybox:1"],
    ]);
    assert.deepEqual(decodeEnvelope(envelope("type.googleapis.com/containerd.events.ContainerCreate", create)), {
      kind: "ContainerCreate",
      namespace: "k8s.io",
      containerId: "c2",
      image: "docker.io/library/busybox:1",
    });
    assert.deepEqual(decodeEnvelope(envelope("containerd.events.ContainerDelete", encode([[1, "c2"]]))), {
      kind: "ContainerDelete",
      namespace: "k8s.io",
      containerId: "c2",
    });
  });

  it("passes other events through and throws on a malformed known payload", () => {
    assert.deepEqual(decodeEnvelope(envelope("containerd.events.ImageCreate", encode([[1, "x"]]))), {
      kind: "other",
      namespace: "k8s.io",
      topic: "/t",
      typeUrl: "containerd.events.ImageCreate",
    });
    assert.throws(() => decodeEnvelope(envelope("containerd.events.TaskExit", Uint8Array.from([0x0a, 0x50, 0x01]))));
  });

  it("tells the init process from execs", () => {
    assert.equal(isInitProcess({ containerId: "c1", execId: "c1" }), true);
    assert.equal(isInitProcess({ containerId: "c1", execId: "" }), true);
    assert.equal(isInitProcess({ containerId: "c1", execId: "exec-1" }), false);
    assert.equal(typeNameOf("containerd.events.TaskExit"), "containerd.events.TaskExit");
  });
});
