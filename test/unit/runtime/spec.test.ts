import * as assert from "node:assert/strict";

import { kubernetesIdentity, OCI_SPEC_TYPE_URL, parseOciSpec, SpecError } from "../../../src/runtime/spec";

const specAny = (value: unknown) => ({
  typeUrl: OCI_SPEC_TYPE_URL,
  value: Buffer.from(typeof value === "string" ? value : JSON.stringify(value)),
});

describe("parseOciSpec", () => {
  it("reads mounts and linux.cgroupsPath", () => {
    const facts = parseOciSpec(
      "c1",
      specAny({
        ociVersion: "1.0.2",
        mounts: [
          { destination: "/proc", type: "proc", source: "proc", options: ["nosuid"] },
          { destination: "/data", type: "bind", source: "/var/lib/kubelet/pods/x/volumes/v", options: ["rbind", "rw"] },
          { destination: "/run/secrets" }, // type, source and options may be omitted
        ],
        linux: { cgroupsPath: "/k8s.io/c1" },
      }),
    );
    assert.deepEqual(facts.mounts, [
      { destination: "/proc", type: "proc", source: "proc", options: ["nosuid"] },
      { destination: "/data", type: "bind", source: "/var/lib/kubelet/pods/x/volumes/v", options: ["rbind", "rw"] },
      { destination: "/run/secrets", type: "", source: "", options: [] },
    ]);
    assert.equal(facts.cgroupsPath, "/k8s.io/c1");
  });

  it("accepts a spec without mounts or linux section", () => {
    const { mounts, cgroupsPath } = parseOciSpec("c1", specAny({ ociVersion: "1.0.2" }));
    assert.deepEqual({ mounts, cgroupsPath }, { mounts: [], cgroupsPath: "" });
  });

  const hostile: [string, { typeUrl: string; value: Buffer } | undefined, RegExp][] = [
    ["no spec", undefined, /has no spec/],
    ["empty value", specAny(""), /has no spec/],
    ["other type", { typeUrl: "types.containerd.io/other", value: Buffer.from("{}") }, /is not types\.containerd\.io/],
    ["not JSON", specAny("{mounts: ["), /not JSON/],
    ["JSON array", specAny([1, 2]), /not a JSON object/],
    ["JSON string", specAny('"spec"'), /not a JSON object/],
    ["mounts not an array", specAny({ mounts: { destination: "/x" } }), /mounts is not an array/],
    ["mount not an object", specAny({ mounts: ["/x"] }), /mounts\[0\] is not an object/],
    ["mount without destination", specAny({ mounts: [{ type: "bind" }] }), /mounts\[0\]\.destination/],
    ["destination a number", specAny({ mounts: [{ destination: 7 }] }), /mounts\[0\]\.destination/],
    [
      "source an object",
      specAny({ mounts: [{ destination: "/x", source: {} }] }),
      /mounts\[0\]\.source is not a string/,
    ],
    [
      "options with a number",
      specAny({ mounts: [{ destination: "/x", options: ["ro", 1] }] }),
      /options is not an array of strings/,
    ],
    ["linux a string", specAny({ linux: "x" }), /linux is not an object/],
    ["cgroupsPath a number", specAny({ linux: { cgroupsPath: 1 } }), /linux\.cgroupsPath is not a string/],
    ["deeply nested", specAny("[".repeat(200000) + "]".repeat(200000)), /not JSON|not a JSON object/],
  ];
  for (const [name, spec, message] of hostile) {
    it(`rejects ${name} with a SpecError naming the container`, () => {
      assert.throws(
        () => parseOciSpec("bad-one", spec),
        (err: unknown) => err instanceof SpecError && err.containerId === "bad-one" && message.test(err.message),
      );
    });
  }
});

describe("kubernetesIdentity", () => {
  it("maps the kubelet's labels", () => {
    assert.deepEqual(
      kubernetesIdentity({
        "io.kubernetes.pod.namespace": "shop",
        "io.kubernetes.pod.name": "cart-7d9",
        "io.kubernetes.pod.uid": "0b6c",
        "io.kubernetes.container.name": "cart",
        other: "x",
      }),
      { namespace: "shop", pod: "cart-7d9", podUid: "0b6c", container: "cart" },
    );
  });

  it("leaves absent and empty labels undefined", () => {
    assert.deepEqual(kubernetesIdentity({ "io.kubernetes.pod.name": "", "io.kubernetes.pod.namespace": "ns" }), {
      namespace: "ns",
    });
  });
});
