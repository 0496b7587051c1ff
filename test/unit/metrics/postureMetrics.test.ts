// A container's posture is not an exec: posture findings are counted by their own counter,
// never as exec decisions.
import * as assert from "node:assert/strict";
import { Registry } from "prom-client";

import { AgentMetrics } from "../../../src/metrics/agentMetrics";
import { postureFinding } from "../../../src/posture/postureFinding";
import { containerRecord } from "../policy/fixtures";
import { driftFinding } from "../../testbed/findingFixtures";
import { plainSpec } from "../posture/specs";

describe("agent metrics: posture", () => {
  it("counts posture findings apart from exec decisions", async () => {
    const registry = new Registry();
    const metrics = new AgentMetrics(registry, { guard: () => undefined, layerCache: () => ({ hits: 0, misses: 0 }) });
    const record = containerRecord("c1", { "io.kubernetes.pod.name": "p" }, { security: plainSpec(), pid: 42 });
    const property = { reason: "posture_privileged" as const, specField: "f", value: "v", key: "" };
    const policy = { name: "p", mode: "enforce" as const, level: "baseline" as const, stop: true, allow: [] };
    metrics.findingCounter.write(postureFinding(property, record, policy, true, "node-a"));
    metrics.findingCounter.write(driftFinding(1));
    const text = await registry.metrics();
    assert.match(text, /^driftguard_posture_findings_total\{verdict="blocked",reason="posture_privileged"\} 1$/m);
    assert.match(text, /^driftguard_exec_decisions_total\{verdict="blocked",reason="new_file"\} 1$/m);
    assert.doesNotMatch(text, /^driftguard_exec_decisions_total\{[^}]*posture_/m, "a posture finding is no exec");
  });
});
