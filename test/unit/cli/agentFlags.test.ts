import * as assert from "node:assert/strict";

import { agentConfigFromArgs } from "../../../src/cli/agentCommand";

describe("driftguard agent flags", () => {
  it("has the documented defaults", () => {
    const config = agentConfigFromArgs([], {});
    assert.equal(config.containerdAddress, "/run/containerd/containerd.sock");
    assert.deepEqual(config.namespaces, ["k8s.io"]);
    assert.equal(config.mode, "audit");
    assert.equal(config.failMode, "open");
    assert.equal(config.deadlineMs, 2000);
    assert.deepEqual(config.imageBudget, { maxEntries: 1_000_000, maxManifestBytes: 192 * 1024 * 1024 });
  });

  it("takes the image budget in entries and MiB", () => {
    const config = agentConfigFromArgs(["--image-budget-entries", "5000"], { DRIFTGUARD_IMAGE_BUDGET_MIB: "64" });
    assert.deepEqual(config.imageBudget, { maxEntries: 5000, maxManifestBytes: 64 * 1024 * 1024 });
  });

  it("takes flags, then DRIFTGUARD_* environment variables", () => {
    const config = agentConfigFromArgs(["--mode", "enforce", "--namespaces=k8s.io,default"], {
      DRIFTGUARD_MODE: "audit",
      DRIFTGUARD_FAIL_MODE: "closed",
      NODE_NAME: "node-a",
    });
    assert.equal(config.mode, "enforce");
    assert.deepEqual(config.namespaces, ["k8s.io", "default"]);
    assert.equal(config.failMode, "closed");
    assert.equal(config.nodeName, "node-a");
  });

  const bad: [string[], RegExp][] = [
    [["--mode", "block"], /--mode must be one of enforce, audit, disabled/],
    [["--fail-mode", "maybe"], /--fail-mode must be one of open, closed/],
    [["--deadline-ms", "5"], /between 10 and 600000/],
    [["--deadline-ms", "x"], /positive integer/],
    [["--image-budget-entries", "0"], /--image-budget-entries must be a positive integer/],
    [["--image-budget-mib", "1.5"], /--image-budget-mib must be a positive integer/],
    [["--namespaces", ","], /at least one namespace/],
    [["--bogus"], /unknown option --bogus/],
    [["--mode"], /--mode needs a value/],
    [["extra"], /unexpected argument extra/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(" ")}`, () => assert.throws(() => agentConfigFromArgs(argv, {}), message));
  }
});
