// Selector matching, table-driven: every selector field, globs, label operators, images.
import * as assert from "node:assert/strict";

import { imageMatches, parseImageRef } from "../../../src/policy/imageRef";
import { matchSelector } from "../../../src/policy/selector";
import type { PolicySelector, Workload } from "../../../src/policy/types";
import { workload } from "./fixtures";

const DIGEST = "sha256:" + "a".repeat(64);
const OTHER_DIGEST = "sha256:" + "b".repeat(64);

const rows: [string, PolicySelector, Partial<Workload>, boolean][] = [
  ["empty selector matches all", {}, {}, true],
  ["empty selector matches a non-Kubernetes container", {}, { namespace: undefined, container: undefined }, true],
  ["namespace by name", { namespaces: ["shop"] }, {}, true],
  ["namespace not listed", { namespaces: ["prod"] }, {}, false],
  ["namespace glob", { namespaces: ["prod-*"] }, { namespace: "prod-eu" }, true],
  ["namespace glob ?", { namespaces: ["prod-??"] }, { namespace: "prod-eu1" }, false],
  ["one of several namespaces", { namespaces: ["a", "shop"] }, {}, true],
  ["empty namespace list matches nothing", { namespaces: [] }, {}, false],
  ["namespaces need a namespace", { namespaces: ["*"] }, { namespace: undefined }, false],
  [
    "matchLabels all present",
    { matchLabels: { app: "web", tier: "fe" } },
    { podLabels: { app: "web", tier: "fe", x: "y" } },
    true,
  ],
  [
    "matchLabels one differs",
    { matchLabels: { app: "web", tier: "fe" } },
    { podLabels: { app: "web", tier: "be" } },
    false,
  ],
  ["matchLabels key absent", { matchLabels: { app: "web" } }, { podLabels: {} }, false],
  ["matchLabels is not fooled by Object.prototype", { matchLabels: { constructor: "x" } }, { podLabels: {} }, false],
  [
    "In",
    { matchExpressions: [{ key: "tier", operator: "In", values: ["fe", "be"] }] },
    { podLabels: { tier: "be" } },
    true,
  ],
  [
    "In, value not listed",
    { matchExpressions: [{ key: "tier", operator: "In", values: ["fe"] }] },
    { podLabels: { tier: "be" } },
    false,
  ],
  ["In, key absent", { matchExpressions: [{ key: "tier", operator: "In", values: ["fe"] }] }, {}, false],
  [
    "NotIn",
    { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["fe"] }] },
    { podLabels: { tier: "be" } },
    true,
  ],
  [
    "NotIn, listed",
    { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["fe"] }] },
    { podLabels: { tier: "fe" } },
    false,
  ],
  [
    "NotIn, key absent matches (Kubernetes semantics)",
    { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["fe"] }] },
    {},
    true,
  ],
  [
    "Exists",
    { matchExpressions: [{ key: "tier", operator: "Exists", values: [] }] },
    { podLabels: { tier: "" } },
    true,
  ],
  ["Exists, absent", { matchExpressions: [{ key: "tier", operator: "Exists", values: [] }] }, {}, false],
  ["DoesNotExist", { matchExpressions: [{ key: "tier", operator: "DoesNotExist", values: [] }] }, {}, true],
  [
    "DoesNotExist, present",
    { matchExpressions: [{ key: "tier", operator: "DoesNotExist", values: [] }] },
    { podLabels: { tier: "x" } },
    false,
  ],
  [
    "expressions are ANDed",
    {
      matchExpressions: [
        { key: "a", operator: "Exists", values: [] },
        { key: "b", operator: "Exists", values: [] },
      ],
    },
    { podLabels: { a: "1" } },
    false,
  ],
  ["image short name matches its normalized reference", { images: ["nginx"] }, {}, true],
  ["image with tag", { images: ["nginx:1.27"] }, {}, true],
  ["image with another tag", { images: ["nginx:1.26"] }, {}, false],
  ["image glob within a component", { images: ["docker.io/library/*"] }, {}, true],
  ["image * does not cross /", { images: ["docker.io/*"] }, {}, false],
  ["image ** crosses /", { images: ["docker.io/**"] }, {}, true],
  [
    "image by registry glob",
    { images: ["registry.example.com/shop/*"] },
    { image: "registry.example.com/shop/web:2" },
    true,
  ],
  ["image by manifest digest", { images: [DIGEST] }, { imageDigest: DIGEST }, true],
  ["image by another digest", { images: [OTHER_DIGEST] }, { imageDigest: DIGEST }, false],
  ["image digest in the reference", { images: [DIGEST] }, { image: `nginx@${DIGEST}` }, true],
  ["repo@digest", { images: [`nginx@${DIGEST}`] }, { imageDigest: DIGEST }, true],
  ["repo@digest, other repo", { images: [`redis@${DIGEST}`] }, { imageDigest: DIGEST }, false],
  ["container name", { containers: ["web"] }, {}, true],
  ["container glob", { containers: ["side*"] }, { container: "sidecar" }, true],
  ["container not listed", { containers: ["db"] }, {}, false],
  ["containers need a name", { containers: ["*"] }, { container: undefined }, false],
  ["all fields ANDed: one fails", { namespaces: ["shop"], images: ["redis"] }, {}, false],
  [
    "all fields ANDed: all match",
    { namespaces: ["shop"], images: ["nginx"], containers: ["web"], matchLabels: { a: "b" } },
    { podLabels: { a: "b" } },
    true,
  ],
];

describe("policy selectors", () => {
  for (const [name, selector, fields, expected] of rows) {
    it(`${name} → ${expected ? "match" : "no match"}`, () => {
      const result = matchSelector(selector, workload(fields));
      assert.equal(result.matched, expected, result.reasons.join("; "));
      assert.ok(result.reasons.length > 0, "every answer says why");
    });
  }

  it("says why a selector does not match", () => {
    const result = matchSelector({ namespaces: ["prod", "prod-*"] }, workload());
    assert.deepEqual(result.reasons, ["namespace shop is not in prod, prod-*"]);
  });

  it("normalizes image references as Docker does", () => {
    assert.deepEqual(parseImageRef("nginx"), {
      repository: "docker.io/library/nginx",
      tag: undefined,
      digest: undefined,
    });
    assert.deepEqual(parseImageRef("bitnami/redis:7"), {
      repository: "docker.io/bitnami/redis",
      tag: "7",
      digest: undefined,
    });
    assert.deepEqual(parseImageRef("localhost:5000/app:v1"), {
      repository: "localhost:5000/app",
      tag: "v1",
      digest: undefined,
    });
    assert.deepEqual(parseImageRef(`index.docker.io/library/nginx@${DIGEST}`), {
      repository: "docker.io/library/nginx",
      tag: undefined,
      digest: DIGEST,
    });
    assert.ok(imageMatches("**:latest", "docker.io/library/nginx:latest"));
    assert.ok(!imageMatches("**:latest", "docker.io/library/nginx"), "no tag: not :latest");
  });
});
