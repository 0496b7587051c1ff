// The policies each install hands the agent: all of the starter set reaches the ConfigMap,
// each set passes the agent's own loader, "audit" blocks nothing now or later, and
// "enforce" blocks everywhere but the system namespaces.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { isPolicyFileName } from "../../../src/policy/loadPolicies";
import type { DriftPolicy } from "../../../src/policy/types";
import { installedPolicies } from "./installedPolicies";
import { DAEMONSET, OVERLAYS, find, kustomize, rendered, type K8sObject } from "./kustomize";
import { agentDaemonSet, envOf, onlyContainer, podOf } from "./workloads";

/** A policy that selects every container. */
const catchAll = (p: DriftPolicy): boolean => Object.keys(p.selector).length === 0;

describe("daemonset: policies", function () {
  this.timeout(60000);

  it("puts every starter policy file into the ConfigMap (policies/Kustomization lists them all)", () => {
    const files = fs.readdirSync(path.join(DAEMONSET, "policies")).filter(isPolicyFileName).sort();
    const configMap = find(kustomize(path.join(DAEMONSET, "base")), "ConfigMap", "driftguard-policies");
    assert.deepEqual(Object.keys((configMap as K8sObject & { data: object }).data).sort(), files);
  });

  for (const overlay of OVERLAYS) {
    it(`overlays/${overlay}: the policies pass the agent's loader`, () => {
      assert.ok(installedPolicies(rendered(overlay)).length > 0);
    });
  }

  for (const overlay of ["audit", "postgres"] as const) {
    it(`overlays/${overlay}: audits every container and enforces nowhere, now or later`, () => {
      const policies = installedPolicies(rendered(overlay));
      const enforcing = policies.filter((p) => p.mode === "enforce" || p.enforceAfter !== undefined);
      assert.deepEqual(
        enforcing.map((p) => p.name),
        [],
      );
      assert.ok(
        policies.some((p) => p.mode === "audit" && catchAll(p)),
        "a catch-all audit policy",
      );
      const agent = onlyContainer(podOf(agentDaemonSet(rendered(overlay))));
      assert.equal(envOf(agent, "DRIFTGUARD_MODE")?.value, "audit");
    });
  }

  it("overlays/enforce: enforces by default, keeps production's denials, audits the system namespaces", () => {
    const policies = installedPolicies(rendered("enforce"));
    const agent = onlyContainer(podOf(agentDaemonSet(rendered("enforce"))));
    assert.equal(envOf(agent, "DRIFTGUARD_MODE")?.value, "enforce");
    assert.deepEqual(
      policies.filter(catchAll).map((p) => p.name),
      [],
      "no catch-all policy: containers no policy selects get --mode enforce",
    );
    assert.ok(policies.some((p) => p.name === "production-enforce"));
    const system = policies.find((p) => p.name === "system-namespaces-audit");
    assert.equal(system?.mode, "audit");
    for (const ns of ["kube-system", "driftguard"]) assert.ok(system?.selector.namespaces?.includes(ns), ns);
    const highest = Math.max(...policies.map((p) => p.priority));
    assert.equal(system?.priority, highest);
  });
});
