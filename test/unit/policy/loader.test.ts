// The loader's error and warning codes, each with its line, column and field; valid
// documents become DriftPolicy values.
import * as assert from "node:assert/strict";

import { errorsOf, formatIssue, type PolicyIssue } from "../../../src/policy/issues";
import { loadPolicyText, loadPolicyTexts } from "../../../src/policy/loadPolicies";
import { policyYaml } from "./fixtures";

const HEAD = "apiVersion: driftguard.dev/v1\nkind: DriftPolicy\nmetadata:\n  name: p\n";

function issues(text: string): [string, number, number, string][] {
  return loadPolicyText(text, "f.yaml").issues.map((i) => [i.code, i.line, i.column, i.field]);
}

const cases: [string, string, [string, number, number, string][]][] = [
  ["YAML syntax", "a: [1, 2\n", [["yaml_syntax", 2, 1, ""]]],
  ["duplicate key", HEAD + "spec:\n  mode: audit\n  mode: enforce\n", [["duplicate_key", 7, 3, ""]]],
  ["not a mapping", "- 1\n- 2\n", [["not_a_mapping", 1, 1, ""]]],
  ["wrong apiVersion", "apiVersion: v1\nkind: ConfigMap\n", [["unsupported_api_version", 1, 13, "apiVersion"]]],
  ["wrong kind", "apiVersion: driftguard.dev/v1\nkind: ConfigMap\n", [["unsupported_kind", 2, 7, "kind"]]],
  [
    "missing spec and name",
    "apiVersion: driftguard.dev/v1\nkind: DriftPolicy\nmetadata: {}\n",
    [
      ["missing_field", 1, 1, ""],
      ["missing_field", 3, 11, "metadata"],
    ],
  ],
  ["missing mode", HEAD + "spec:\n  priority: 1\n", [["missing_field", 6, 3, "spec"]]],
  ["wrong type", HEAD + 'spec:\n  mode: audit\n  priority: "10"\n', [["wrong_type", 7, 13, "spec.priority"]]],
  [
    "null value is a wrong type",
    HEAD + "spec:\n  mode: audit\n  selector:\n",
    [["wrong_type", 7, 12, "spec.selector"]],
  ],
  ["bad enum", HEAD + "spec:\n  mode: block\n", [["invalid_value", 6, 9, "spec.mode"]]],
  [
    "priority out of range",
    HEAD + "spec:\n  mode: audit\n  priority: 10000000\n",
    [["invalid_value", 7, 13, "spec.priority"]],
  ],
  [
    "bad name",
    "apiVersion: driftguard.dev/v1\nkind: DriftPolicy\nmetadata:\n  name: Not_OK\nspec:\n  mode: audit\n",
    [["invalid_value", 4, 9, "metadata.name"]],
  ],
  [
    "relative path",
    HEAD + "spec:\n  mode: audit\n  allow:\n    paths:\n      - path: tmp/x\n        reason: r\n",
    [["invalid_value", 9, 15, "spec.allow.paths[0].path"]],
  ],
  [
    "allow without a reason",
    HEAD + "spec:\n  mode: audit\n  allow:\n    parents:\n      - path: /usr/bin/make\n",
    [["missing_field", 9, 9, "spec.allow.parents[0]"]],
  ],
  [
    "bad digest",
    HEAD + "spec:\n  mode: audit\n  allow:\n    digests:\n      - sha256: ABC\n        reason: r\n",
    [["invalid_value", 9, 17, "spec.allow.digests[0].sha256"]],
  ],
  [
    "volume with kind and path",
    HEAD + "spec:\n  mode: audit\n  allow:\n    volumes:\n      - kind: secret\n        path: /x\n        reason: r\n",
    [["invalid_value", 9, 9, "spec.allow.volumes[0]"]],
  ],
  [
    "unknown volume kind",
    HEAD + "spec:\n  mode: audit\n  allow:\n    volumes:\n      - kind: nfs\n        reason: r\n",
    [["invalid_value", 9, 15, "spec.allow.volumes[0].kind"]],
  ],
  [
    "In without values",
    HEAD + "spec:\n  mode: audit\n  selector:\n    matchExpressions:\n      - key: a\n        operator: In\n",
    [["invalid_value", 9, 9, "spec.selector.matchExpressions[0].values"]],
  ],
  [
    "Exists with values",
    HEAD +
      "spec:\n  mode: audit\n  selector:\n    matchExpressions:\n      - {key: a, operator: Exists, values: [x]}\n",
    [["invalid_value", 9, 44, "spec.selector.matchExpressions[0].values"]],
  ],
  [
    "bad label key",
    HEAD + 'spec:\n  mode: audit\n  selector:\n    matchLabels:\n      "-bad": x\n',
    [["invalid_value", 9, 7, "spec.selector.matchLabels.-bad"]],
  ],
  [
    "bad image digest",
    HEAD + 'spec:\n  mode: audit\n  selector:\n    images: ["nginx@sha256:123"]\n',
    [["invalid_value", 8, 14, "spec.selector.images[0]"]],
  ],
  [
    "bad enforceAfter",
    HEAD + "spec:\n  mode: audit\n  enforceAfter: 2026-02-30\n",
    [["invalid_value", 7, 17, "spec.enforceAfter"]],
  ],
  [
    "enforceAfter number",
    HEAD + "spec:\n  mode: audit\n  enforceAfter: 14\n",
    [["wrong_type", 7, 17, "spec.enforceAfter"]],
  ],
  // Warnings: the policy still loads.
  ["unknown field", HEAD + "spec:\n  mode: audit\n  priorty: 3\n", [["unknown_field", 7, 3, "spec.priorty"]]],
  [
    "empty list matches nothing",
    HEAD + "spec:\n  mode: audit\n  selector:\n    namespaces: []\n",
    [["selector_matches_nothing", 8, 17, "spec.selector.namespaces"]],
  ],
  [
    "contradicting labels",
    HEAD +
      "spec:\n  mode: audit\n  selector:\n    matchLabels: {a: x}\n    matchExpressions:\n      - {key: a, operator: DoesNotExist}\n",
    [["selector_matches_nothing", 10, 9, "spec.selector.matchExpressions[0]"]],
  ],
  [
    "enforceAfter outside audit",
    HEAD + "spec:\n  mode: enforce\n  enforceAfter: 1d\n",
    [["enforce_after_ignored", 7, 17, "spec.enforceAfter"]],
  ],
  [
    "** in a path",
    HEAD + "spec:\n  mode: audit\n  deny:\n    - path: /usr/**\n",
    [["glob_double_star", 8, 13, "spec.deny[0].path"]],
  ],
  ["an empty file", "# nothing yet\n", [["empty_file", 0, 0, ""]]],
  [
    "capture of 0 bytes",
    HEAD + "spec:\n  mode: audit\n  capture:\n    maxBytes: 0\n",
    [["invalid_value", 8, 15, "spec.capture.maxBytes"]],
  ],
  [
    "capture over 64 MiB",
    HEAD + "spec:\n  mode: audit\n  capture:\n    maxBytes: 67108865\n",
    [["invalid_value", 8, 15, "spec.capture.maxBytes"]],
  ],
  [
    "capture of 1.5 bytes",
    HEAD + "spec:\n  mode: audit\n  capture:\n    maxBytes: 1.5\n",
    [["wrong_type", 8, 15, "spec.capture.maxBytes"]],
  ],
  [
    "capture without maxBytes",
    HEAD + "spec:\n  mode: audit\n  capture: {}\n",
    [["missing_field", 7, 12, "spec.capture"]],
  ],
];

describe("policy loader codes", () => {
  for (const [name, text, expected] of cases) {
    it(`${name}: ${expected.map((e) => e[0]).join(", ")}`, () => assert.deepEqual(issues(text), expected));
  }

  it("loads a full policy, with defaults filled in and digests without their prefix", () => {
    const text = policyYaml("full", {
      mode: "audit",
      enforceAfter: "2d",
      selector: { namespaces: ["shop"], matchExpressions: [{ key: "a", operator: "Exists" }] },
      allow: {
        paths: [{ path: "/tmp/*", reason: "r1" }],
        digests: [{ sha256: "sha256:" + "c".repeat(64), reason: "r2" }],
        parents: [{ path: "/usr/bin/make", reason: "r3" }],
        volumes: [
          { kind: "configMap", reason: "r4" },
          { path: "/scripts", reason: "r5" },
        ],
      },
      deny: [{ path: "/usr/bin/nc" }],
    });
    const { policies, issues: found } = loadPolicyText("---\n" + text, "dir/full.yaml");
    assert.deepEqual(found, []);
    assert.deepEqual(policies, [
      {
        name: "full",
        source: { file: "dir/full.yaml", line: 2 },
        priority: 0,
        mode: "audit",
        enforceAfter: { kind: "duration", ms: 2 * 86_400_000, text: "2d" },
        selector: { namespaces: ["shop"], matchExpressions: [{ key: "a", operator: "Exists", values: [] }] },
        allow: {
          paths: [{ path: "/tmp/*", reason: "r1" }],
          digests: [{ sha256: "c".repeat(64), reason: "r2" }],
          parents: [{ path: "/usr/bin/make", reason: "r3" }],
          volumes: [
            { kind: "configMap", reason: "r4" },
            { path: "/scripts", reason: "r5" },
          ],
        },
        deny: [{ path: "/usr/bin/nc", reason: "" }],
      },
    ]);
  });

  it("keeps the good documents of a file and reports the bad one, with lines counted across documents", () => {
    const text = [
      policyYaml("one", { mode: "audit" }),
      policyYaml("two", { mode: "nope" }),
      policyYaml("three", { mode: "enforce" }),
    ].join("---\n");
    const result = loadPolicyText(text, "multi.yaml");
    assert.deepEqual(
      result.policies.map((p) => [p.name, p.source.line]),
      [
        ["one", 1],
        ["three", 15],
      ],
    );
    assert.deepEqual(
      result.issues.map((i) => [i.code, i.line, i.policy]),
      [["invalid_value", 13, "two"]],
    );
  });

  it("reports duplicate names across files, and shadowed policies", () => {
    const result = loadPolicyTexts([
      { file: "a.yaml", text: policyYaml("same", { mode: "audit", priority: 5, selector: { namespaces: ["a"] } }) },
      { file: "b.yaml", text: policyYaml("same", { mode: "enforce" }) },
      {
        file: "c.yaml",
        text: policyYaml("hidden", { mode: "enforce", priority: 1, selector: { namespaces: ["prod-x"] } }),
      },
      {
        file: "d.yaml",
        text: policyYaml("ns", { mode: "enforce", priority: 9, selector: { namespaces: ["prod-*"] } }),
      },
      {
        file: "e.yaml",
        text: policyYaml("narrower", {
          mode: "audit",
          priority: 2,
          selector: { namespaces: ["prod-eu"], matchLabels: { a: "b" } },
        }),
      },
      { file: "f.yaml", text: policyYaml("other", { mode: "audit", priority: 3, selector: { namespaces: ["dev"] } }) },
    ]);
    const found = result.issues.map((i: PolicyIssue) => [i.code, i.file, i.policy]);
    assert.deepEqual(found, [
      ["duplicate_name", "b.yaml", "same"],
      ["shadowed_policy", "e.yaml", "narrower"],
      ["shadowed_policy", "c.yaml", "hidden"],
    ]);
    assert.match(result.issues[1].message, /never applies: ns \(priority 9, d\.yaml:1\)/);
    assert.deepEqual(result.policies.map((p) => p.name).sort(), ["hidden", "narrower", "ns", "other", "same"]);
  });

  it("warns when there is no policy at all", () => {
    assert.deepEqual(
      loadPolicyTexts([]).issues.map((i) => i.code),
      ["no_policies"],
    );
  });

  it("refuses alias bombs instead of expanding them", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
      );
    const result = loadPolicyText(lines.join("\n") + "\n", "bomb.yaml");
    assert.deepEqual(
      errorsOf(result).map((i) => i.code),
      ["yaml_syntax"],
    );
  });

  it("reads capture.maxBytes; without capture a policy captures nothing", () => {
    const [captured] = loadPolicyText(
      HEAD + "spec:\n  mode: enforce\n  capture:\n    maxBytes: 4096\n",
      "c.yaml",
    ).policies;
    assert.deepEqual(captured.capture, { maxBytes: 4096 });
    const [plain] = loadPolicyText(HEAD + "spec:\n  mode: enforce\n", "c.yaml").policies;
    assert.equal(plain.capture, undefined);
  });

  it("names the file and the field of a capture size out of range", () => {
    const [issue] = loadPolicyText(HEAD + "spec:\n  mode: audit\n  capture:\n    maxBytes: -1\n", "team/p.yaml").issues;
    assert.equal(
      formatIssue(issue),
      "team/p.yaml:8:15: error invalid_value spec.capture.maxBytes: must be between 1 and 67108864 (got -1) [policy p]",
    );
  });

  it("formats issues as file:line:column: severity code field: message [policy]", () => {
    const [issue] = loadPolicyText(HEAD + "spec:\n  mode: block\n", "p.yaml").issues;
    assert.equal(
      formatIssue(issue),
      'p.yaml:6:9: error invalid_value spec.mode: must be one of enforce, audit, disabled (got "block") [policy p]',
    );
  });
});
