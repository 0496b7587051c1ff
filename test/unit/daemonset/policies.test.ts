// The policies each install hands the agent: all of the starter set reaches the ConfigMap,
// each set passes the agent's own loader, "audit" blocks nothing now or later, "enforce"
// blocks everywhere but the system namespaces, and the node daemons' posture exceptions are
// by name and labels, never by namespace.
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

  it("exempts the node daemons' posture by namespace and labels, each property with a reason", () => {
    const policies = installedPolicies(rendered("audit"));
    const exempting = policies.filter((p) => (p.allow.posture ?? []).length > 0);
    assert.deepEqual(exempting.map((p) => p.name).sort(), [
      "driftguard-agent-node",
      "ebs-csi-node",
      "eks-pod-identity-agent-node",
      "kube-proxy-node",
      "vpc-cni-node",
    ]);
    for (const p of exempting) {
      assert.ok(Object.keys(p.selector.matchLabels ?? {}).length > 0, `${p.name}: selected by its labels`);
      for (const ns of p.selector.namespaces ?? []) assert.doesNotMatch(ns, /[*?]/, `${p.name}: no namespace glob`);
      assert.equal(p.posture?.enforce ?? false, false, `${p.name}: never stops its daemon`);
      for (const e of p.allow.posture ?? []) assert.ok(e.reason.length > 10, `${p.name} ${e.property}: a reason`);
    }
  });

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
    // Only the node daemons' own policies outrank it: audit as well, each for pods with its labels.
    for (const p of policies.filter((p) => p.priority >= system!.priority && p !== system)) {
      assert.equal(p.mode, "audit", p.name);
      assert.ok(Object.keys(p.selector.matchLabels ?? {}).length > 0, `${p.name} selects by labels`);
    }
  });
});
