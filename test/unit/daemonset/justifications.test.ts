// Every field of daemonset/ that weakens isolation says why, beside it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

import { unjustified } from "./justifications";
import { DAEMONSET, ROOT } from "./kustomize";

/** The manifests' sources: every YAML file and kustomization under daemonset/. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.ya?ml$|^Kustomization$/.test(entry.name) ? [file] : [];
  });
}

describe("daemonset: privileges are justified beside them", () => {
  it("in every source file", () => {
    const files = sources(DAEMONSET);
    assert.ok(files.length > 10);
    const missing = files.flatMap((file) => unjustified(fs.readFileSync(file, "utf8"), path.relative(ROOT, file)));
    assert.deepEqual(missing, []);
  });

  describe("the check itself", () => {
    it("finds an unexplained privileged container, capability and host path", () => {
      const text = [
        "spec:",
        "  hostPID: true",
        "  containers:",
        "    - securityContext:",
        "        privileged: true",
        "        capabilities:",
        "          add:",
        "            # fanotify",
        "            - SYS_ADMIN",
        "            - NET_ADMIN",
        "  volumes:",
        "    - name: root",
        "      hostPath: {path: /}",
        "",
      ].join("\n");
      assert.deepEqual(unjustified(text, "x.yaml"), [
        "x.yaml:2 hostPID: true",
        "x.yaml:5 privileged: true",
        "x.yaml:10 add: NET_ADMIN",
        "x.yaml:13 hostPath: ...",
      ]);
    });

    it("accepts a reason at the end of the line or right above, and asks none for safe values", () => {
      const text = [
        "spec:",
        "  hostPID: true # to read /proc of every process",
        "  # needed for X",
        "  privileged: true",
        "  allowPrivilegeEscalation: false",
        "  readOnlyRootFilesystem: true",
        "  runAsUser: 1000",
        "",
      ].join("\n");
      assert.deepEqual(unjustified(text, "x.yaml"), []);
    });

    it("does not take a comment further up as the reason", () => {
      const text = ["# some file comment", "kind: Pod", "spec:", "  hostNetwork: true", ""].join("\n");
      assert.deepEqual(unjustified(text, "x.yaml"), ["x.yaml:4 hostNetwork: true"]);
    });
  });
});
