// daemonset/README.md's example works as written: its my-cluster overlay renders at each
// step and does what the text says, its certificate command matches what the manifests
// expect, and its image tag is the release's.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

import { schemaProblems } from "./k8sSchema";
import { installedPolicies } from "./installedPolicies";
import { DAEMONSET, ROOT, SERVER_NAMES, sharedCopy, type K8sObject } from "./kustomize";
import { agentDaemonSet, collectorDeployment, envOf, onlyContainer, podOf } from "./workloads";

const README = fs.readFileSync(path.join(DAEMONSET, "README.md"), "utf8");

/** The README's files of the example overlay, in order: "```yaml\n# my-cluster/FILE\n...```". */
function exampleFiles(): { file: string; text: string }[] {
  return [...README.matchAll(/```yaml\n# (my-cluster\/[\w.-]+)\n([\s\S]*?)```/g)].map((m) => ({
    file: m[1],
    text: m[2],
  }));
}

describe("daemonset: README example", function () {
  this.timeout(60000);

  it("renders the my-cluster overlay at each step, valid, with the registry, cluster and issuer set", async () => {
    const files = exampleFiles();
    assert.ok(files.filter((f) => f.file === "my-cluster/kustomization.yaml").length >= 2, "install, then a policy");
    const copy = sharedCopy();
    let objects: K8sObject[] = [];
    for (const { file, text } of files) {
      copy.write(file, text);
      if (!file.endsWith("kustomization.yaml")) continue;
      objects = copy.renderSibling("my-cluster");
      for (const object of objects) assert.deepEqual(await schemaProblems(object), [], `${file}: ${object.kind}`);
      const agent = onlyContainer(podOf(agentDaemonSet(objects)));
      assert.match(agent.image ?? "", /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/driftguard:\d+\.\d+\.\d+$/);
      const cluster = envOf(agent, "DRIFTGUARD_CLUSTER_NAME")?.value ?? "";
      assert.notEqual(cluster, "your-cluster", "the base's placeholder");
      const collector = onlyContainer(podOf(collectorDeployment(objects)));
      assert.equal(
        envOf(collector, "DRIFTGUARD_AGENT_TOKEN_CLUSTER")?.value,
        cluster,
        "agents' and collector's cluster",
      );
      const issuer = envOf(collector, "DRIFTGUARD_AGENT_TOKEN_ISSUER")?.value ?? "";
      assert.match(issuer, /^https:\/\/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\/[0-9A-Z]{32}$/, "an EKS issuer");
    }
    // The last step: payments enforced, everything else still audited.
    const policies = installedPolicies(objects);
    const payments = policies.find((p) => p.name === "payments-enforce");
    assert.equal(payments?.mode, "enforce");
    assert.deepEqual(payments?.selector.namespaces, ["payments"]);
    assert.deepEqual(
      policies.filter((p) => p.mode === "enforce").map((p) => p.name),
      ["payments-enforce"],
    );
  });

  it("makes the collector's certificate for the names the tests and the manifests use", () => {
    const command = /driftguard certs --out daemonset\/secrets \\\n\s+--server-names (\S+)/.exec(README);
    assert.equal(command?.[1], SERVER_NAMES);
  });

  it("tags the image with the release in package.json, in the base and in the example", () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    const base = parse(fs.readFileSync(path.join(DAEMONSET, "base", "kustomization.yaml"), "utf8")) as {
      images: { name: string; newTag: string }[];
    };
    assert.deepEqual(base.images, [{ name: "driftguard", newTag: version }]);
    for (const m of README.matchAll(/driftguard:(\d+\.\d+\.\d+)|newTag: "([^"]+)"/g))
      assert.equal(m[1] ?? m[2], version);
  });
});
