// Every overlay renders with `kubectl kustomize`, and every object it renders is valid for
// the Kubernetes API (1.34 schemas, offline, unknown fields included).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { schemaProblems } from "./k8sSchema";
import {
  DAEMONSET,
  DaemonsetCopy,
  OVERLAYS,
  ROOT,
  find,
  kustomize,
  rendered,
  sharedCopy,
  type K8sObject,
} from "./kustomize";

const CLUSTER_SCOPED = new Set(["Namespace", "CustomResourceDefinition"]);

async function assertValid(objects: K8sObject[]): Promise<void> {
  for (const object of objects) {
    const problems = await schemaProblems(object);
    assert.deepEqual(problems, [], `${object.kind} ${object.metadata.name}`);
  }
}

describe("daemonset: rendering", function () {
  this.timeout(60000);

  for (const overlay of OVERLAYS) {
    describe(`overlays/${overlay}`, () => {
      it("renders the whole install into the driftguard namespace", () => {
        const objects = rendered(overlay);
        const kinds = new Set(objects.map((o) => o.kind));
        for (const kind of [
          "Namespace",
          "ServiceAccount",
          "DaemonSet",
          "Deployment",
          "Service",
          "ConfigMap",
          "Secret",
        ]) {
          assert.ok(kinds.has(kind), `no ${kind}`);
        }
        for (const object of objects) {
          if (CLUSTER_SCOPED.has(object.kind)) continue;
          assert.equal(object.metadata.namespace, "driftguard", `${object.kind} ${object.metadata.name}`);
          assert.equal(
            object.metadata.labels?.["app.kubernetes.io/part-of"],
            "driftguard",
            `${object.kind} ${object.metadata.name}`,
          );
        }
      });

      it("validates against the Kubernetes API schemas", async () => {
        await assertValid(rendered(overlay));
      });

      it("includes the DriftPolicy CRD as generated", () => {
        const crd = find(rendered(overlay), "CustomResourceDefinition", "driftpolicies.driftguard.dev");
        const source = parse(fs.readFileSync(path.join(DAEMONSET, "crds", "driftpolicy.yaml"), "utf8")) as K8sObject;
        assert.deepEqual(crd.spec, source.spec);
      });
    });
  }

  it("components combine: enforce with PostgreSQL in a user's overlay", async () => {
    const copy = sharedCopy();
    copy.write(
      "enforce-postgres/kustomization.yaml",
      [
        "resources: [../daemonset/base, ../daemonset/secrets]",
        "components: [../daemonset/components/enforce, ../daemonset/components/postgres]",
        "",
      ].join("\n"),
    );
    const objects = copy.renderSibling("enforce-postgres");
    await assertValid(objects);
    const deployment = find(objects, "Deployment", "driftguard-collector") as { spec?: { replicas?: number } };
    assert.equal(deployment.spec?.replicas, 2);
    assert.equal(
      objects.some((o) => o.kind === "PersistentVolumeClaim"),
      false,
    );
  });

  it("the base renders without Secrets, for Secrets made another way (cert-manager)", async () => {
    const objects = kustomize(path.join(DAEMONSET, "base"));
    assert.equal(
      objects.some((o) => o.kind === "Secret"),
      false,
    );
    await assertValid(objects);
  });

  it("keeps the Secrets' files out of git: keys, certificates, tokens", () => {
    const files = ["ca.key", "ca.crt", "server.key", "agent.key", "reviewer-alice.key", "tokens"];
    for (const file of files) {
      const check = spawnSync("git", ["check-ignore", "-q", path.join("daemonset", "secrets", file)], { cwd: ROOT });
      assert.equal(check.status, 0, `daemonset/secrets/${file} is not ignored`);
    }
    const kept = spawnSync("git", ["check-ignore", "-q", "daemonset/secrets/kustomization.yaml"], { cwd: ROOT });
    assert.equal(kept.status, 1, "the kustomization itself is committed");
  });

  it("an overlay without the Secrets' files fails and names the missing file", () => {
    const copy = DaemonsetCopy.create({ secrets: false });
    try {
      assert.throws(() => copy.render("audit"), /daemonset\/secrets\/server\.crt/);
    } finally {
      copy.remove();
    }
  });

  describe("the schema check itself", () => {
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "b" } };

    it("accepts a valid object, maps included", async () => {
      assert.deepEqual(await schemaProblems(configMap), []);
    });

    it("reports a misspelt field, however deep", async () => {
      const objects = rendered("audit");
      const daemonSet = structuredClone(find(objects, "DaemonSet", "driftguard-agent")) as unknown as K8sObject & {
        spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
      };
      const securityContext = daemonSet.spec.template.spec.containers[0].securityContext;
      securityContext.readOnlyRootFileSystem = securityContext.readOnlyRootFilesystem;
      delete securityContext.readOnlyRootFilesystem;
      assert.deepEqual(await schemaProblems(daemonSet), [
        '/spec/template/spec/containers/0/securityContext/readOnlyRootFileSystem: unknown field "readOnlyRootFileSystem"',
      ]);
    });

    it("reports wrong types, bad quantities and unknown kinds", async () => {
      const bad = { ...configMap, data: { a: 1 } };
      assert.match((await schemaProblems(bad)).join("\n"), /\/data\/a: type {"type":"string"}/);
      const pvc = {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: "x" },
        spec: { resources: { requests: { storage: "ten gigs" } } },
      };
      assert.match((await schemaProblems(pvc)).join("\n"), /storage: format {"format":"quantity"}/);
      assert.deepEqual(await schemaProblems({ apiVersion: "v1", kind: "Pod" }), ["no schema known for v1 Pod"]);
    });
  });
});
