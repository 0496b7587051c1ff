// The revocation list: its format, certificate fingerprints in either spelling, and what is
// wrong with a bad line.
import * as assert from "node:assert/strict";

import { Revocations } from "../../../src/collector/identity/Revocations";

describe("revocations", () => {
  const list = Revocations.parse(
    [
      "# kind value",
      "node ip-10-0-1-23.eu-west-1.compute.internal",
      "pod-uid 8d0c2b1e-0000-4000-8000-000000000001   # a leaked agent pod",
      "token-id 5f1a",
      "certificate 3a:9f:00:11",
      "",
    ].join("\n"),
    "revocations",
  );

  it("finds a revoked node, pod, token or certificate among an identity's keys", () => {
    assert.equal(list.size, 4);
    assert.deepEqual(list.find([{ kind: "node", value: "ip-10-0-1-23.eu-west-1.compute.internal" }]), {
      kind: "node",
      value: "ip-10-0-1-23.eu-west-1.compute.internal",
    });
    assert.equal(list.find([{ kind: "node", value: "ip-10-0-1-24.eu-west-1.compute.internal" }]), undefined);
    assert.equal(
      list.find([{ kind: "token-id", value: "ip-10-0-1-23.eu-west-1.compute.internal" }]),
      undefined,
      "kinds differ",
    );
    assert.ok(
      list.find([
        { kind: "node", value: "x" },
        { kind: "pod-uid", value: "8d0c2b1e-0000-4000-8000-000000000001" },
      ]),
    );
    assert.equal(list.find([{ kind: "token-id", value: "" }]), undefined, "an absent jti never matches");
  });

  it("compares certificate fingerprints without colons and case, as Node and openssl print them", () => {
    assert.ok(list.find([{ kind: "certificate", value: "3A:9F:00:11" }]));
    assert.ok(list.find([{ kind: "certificate", value: "3a9f0011" }]));
    assert.equal(list.find([{ kind: "certificate", value: "3A:9F:00:12" }]), undefined);
  });

  it("names the line that is not KIND VALUE", () => {
    assert.throws(
      () => Revocations.parse("node a\nuser bob\n", "/etc/revoked"),
      /\/etc\/revoked line 2: expected "KIND VALUE"/,
    );
    assert.throws(() => Revocations.parse("node a b\n", "r"), /r line 1/);
  });
});
