// Property tests with a fixed seed: whatever bytes or YAML a policy file holds, loading it
// returns a result (never throws), every issue is well-formed, and whatever loads can be
// resolved and handed to the native decision. Resolution always picks the top-ranked match.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

import { nativeTestBinding } from "../../testbed/nativeTestBinding";
import { ERROR_CODES, WARNING_CODES, type LoadResult } from "../../../src/policy/issues";
import { loadPolicyText } from "../../../src/policy/loadPolicies";
import { rankPolicies, resolvePolicy } from "../../../src/policy/resolve";
import { matchSelector } from "../../../src/policy/selector";
import { toNativePolicy } from "../../../src/policy/toNativePolicy";
import type { DriftPolicy } from "../../../src/policy/types";
import { stringify } from "yaml";
import { policy, workload } from "./fixtures";

/** mulberry32: small, fast, deterministic. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CODES = new Set<string>([...ERROR_CODES, ...WARNING_CODES]);
const FRAGMENTS = [
  "- ",
  ": ",
  "{",
  "}",
  "[",
  "]",
  ", ",
  "&a ",
  "*a",
  "!!binary ",
  "!foo ",
  "---\n",
  "...\n",
  "\t",
  "'",
  '"',
  "# c\n",
  "|\n",
  ">-\n",
  "? ",
  "\n",
  "  ",
  "    ",
  "apiVersion",
  "driftguard.dev/v1",
  "kind",
  "DriftPolicy",
  "metadata",
  "name",
  "spec",
  "mode",
  "enforce",
  "selector",
  "allow",
  "paths",
  "path",
  "/tmp/*",
  "reason",
  "priority",
  "1e9",
  "-0",
  ".nan",
  "null",
  "~",
  "true",
  "<<",
  "__proto__",
  "constructor",
  "\u0000",
  "\ud800",
  "é",
  "%YAML 1.2\n",
  "%TAG ! tag:x,2000:\n",
  "\\",
  "0x1F",
];
const WEIRD_STRINGS = [
  "",
  " ",
  "*",
  "**",
  "[",
  "\\",
  "/",
  "/a/../b",
  "a\u0000b",
  "__proto__",
  "constructor",
  "x".repeat(5000),
  "sha256:" + "a".repeat(64),
  "2026-02-30",
  "1s",
  "In",
  "configMap",
  "-",
  "😀",
];

function checkResult(result: { policies: DriftPolicy[]; issues: LoadResult["issues"] }, lines: number): void {
  for (const issue of result.issues) {
    assert.ok(CODES.has(issue.code), `unknown code ${issue.code}`);
    assert.ok(issue.severity === "error" || issue.severity === "warning");
    assert.ok(issue.line >= 0 && issue.line <= lines + 1, `line ${issue.line} of ${lines}`);
    assert.equal(typeof issue.message, "string");
  }
  const native = nativeTestBinding();
  for (const p of result.policies) {
    const r = resolvePolicy(workload(), [p], { defaultMode: "audit", nowMs: Date.now() });
    const np = toNativePolicy(
      r,
      [{ type: "tmpfs", source: "tmpfs", destination: "/run", options: [] }],
      "/var/lib/kubelet/pods",
    );
    // The native side validates its input too: a loaded policy must always pass it.
    native.judge({ where: "writable_layer", policy: np, containerPath: "/tmp/x", digest: "a".repeat(64) });
  }
}

function load(text: string): ReturnType<typeof loadPolicyText> {
  let result: ReturnType<typeof loadPolicyText>;
  try {
    result = loadPolicyText(text, "fuzz.yaml");
  } catch (error) {
    assert.fail(`loader threw on ${JSON.stringify(text.slice(0, 200))}: ${(error as Error).stack}`);
  }
  checkResult(result, text.split("\n").length);
  return result;
}

function randomValue(rand: () => number, depth: number): unknown {
  const r = rand();
  if (depth > 4 || r < 0.35) {
    const choices: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, 1e308, -1e-9, NaN, Infinity];
    return rand() < 0.5
      ? WEIRD_STRINGS[Math.floor(rand() * WEIRD_STRINGS.length)]
      : choices[Math.floor(rand() * choices.length)];
  }
  if (r < 0.65) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const out: Record<string, unknown> = {};
  const keys = [
    "mode",
    "priority",
    "selector",
    "allow",
    "deny",
    "paths",
    "path",
    "reason",
    "namespaces",
    "matchLabels",
    "kind",
    "x",
  ];
  for (let i = Math.floor(rand() * 4); i > 0; i--)
    out[keys[Math.floor(rand() * keys.length)]] = randomValue(rand, depth + 1);
  return out;
}

const VALID = {
  apiVersion: "driftguard.dev/v1",
  kind: "DriftPolicy",
  metadata: { name: "p" },
  spec: {
    mode: "audit",
    priority: 3,
    enforceAfter: "2d",
    selector: {
      namespaces: ["shop"],
      matchLabels: { a: "b" },
      matchExpressions: [{ key: "k", operator: "In", values: ["v"] }],
    },
    allow: {
      paths: [{ path: "/tmp/*", reason: "r" }],
      digests: [{ sha256: "b".repeat(64), reason: "r" }],
      parents: [{ path: "/usr/bin/make", reason: "r" }],
      volumes: [{ kind: "emptyDir", reason: "r" }],
    },
    deny: [{ path: "/usr/bin/nc" }],
  },
};

/** Replaces, deletes or adds one node somewhere in a copy of VALID. */
function mutate(rand: () => number): unknown {
  const copy = structuredClone(VALID) as Record<string, unknown>;
  let node: Record<string, unknown> | unknown[] = copy;
  for (let depth = 0; depth < 6; depth++) {
    const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    if (keys.length === 0) break;
    const key = keys[Math.floor(rand() * keys.length)];
    const child = (node as Record<string | number, unknown>)[key];
    const action = rand();
    if (action < 0.3 || typeof child !== "object" || child === null) {
      if (action < 0.1 && !Array.isArray(node)) delete (node as Record<string, unknown>)[key as string];
      else if (action < 0.2 && !Array.isArray(node))
        (node as Record<string, unknown>)[`extra${depth}`] = randomValue(rand, 3);
      else (node as Record<string | number, unknown>)[key] = randomValue(rand, 2);
      break;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

describe("policy loader under arbitrary input (seeded)", function () {
  this.timeout(120000);

  it("random bytes", () => {
    const rand = prng(1);
    for (let i = 0; i < 1500; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 400) }, () => Math.floor(rand() * 256)));
      load(bytes.toString(rand() < 0.5 ? "utf8" : "latin1"));
    }
  });

  it("random YAML fragments", () => {
    const rand = prng(2);
    for (let i = 0; i < 3000; i++) {
      load(
        Array.from({ length: Math.floor(rand() * 40) }, () => FRAGMENTS[Math.floor(rand() * FRAGMENTS.length)]).join(
          "",
        ),
      );
    }
  });

  it("random structures as YAML documents", () => {
    const rand = prng(3);
    for (let i = 0; i < 2000; i++)
      load(stringify(randomValue(rand, 0)) + (rand() < 0.3 ? "---\n" + stringify(randomValue(rand, 0)) : ""));
  });

  it("valid policies with one node mutated", () => {
    const rand = prng(4);
    let loaded = 0;
    for (let i = 0; i < 3000; i++) {
      if (load(stringify(mutate(rand))).policies.length === 1) loaded++;
    }
    assert.ok(loaded > 100 && loaded < 3000, `a fair share of mutants still load (${loaded})`);
  });

  it("absurd nesting, alias chains and sizes, twice in one process (V8 aborts on the second after a stack overflow)", () => {
    // In a child process: what this guards against is an abort, which no assertion catches.
    const script = `
      const { loadPolicyText } = require(${JSON.stringify(require.resolve("../../../src/policy/loadPolicies"))});
      const chain = ["a0: &a0 x"];
      for (let i = 1; i < 3000; i++) chain.push("a" + i + ": &a" + i + " [*a" + (i - 1) + "]");
      const inputs = ["[".repeat(100000), "- ".repeat(3000) + "x", "{a: ".repeat(5000) + "x", chain.join("\\n"),
        "a:\\n" + " b:\\n".repeat(5000), "x: " + "y".repeat(2000000)];
      for (let round = 0; round < 2; round++)
        for (const text of inputs) process.stdout.write(loadPolicyText(text, "f").issues[0].message.split(" ").slice(0, 3).join(" ") + "\\n");
    `;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60000 });
    assert.equal(run.status, 0, run.stderr.slice(0, 2000));
    const first = run.stdout.split("\n").slice(0, 6);
    assert.deepEqual(first.slice(0, 4), [
      "nested deeper than",
      "nested deeper than",
      "nested deeper than",
      "more than 256",
    ]);
  });

  it("resolution picks the first matching policy in rank order, whatever the input order", () => {
    const rand = prng(5);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    for (let i = 0; i < 2000; i++) {
      const policies = Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, n) =>
        policy(`p${Math.floor(rand() * 5)}-${n}`, {
          priority: Math.floor(rand() * 3),
          mode: pick(["enforce", "audit", "disabled"] as const),
          selector:
            rand() < 0.3
              ? {}
              : {
                  namespaces: [pick(["shop", "prod", "s*", "*"])],
                  ...(rand() < 0.5 ? { matchLabels: { a: pick(["1", "2"]) } } : {}),
                },
        }),
      );
      const w = workload({
        namespace: pick(["shop", "prod", "dev"]),
        podLabels: rand() < 0.5 ? { a: pick(["1", "2"]) } : {},
      });
      const expected = rankPolicies(policies).find((p) => matchSelector(p.selector, w).matched)?.name ?? "default";
      const shuffled = [...policies].sort(() => rand() - 0.5);
      assert.equal(resolvePolicy(w, shuffled, { defaultMode: "audit", nowMs: 0 }).name, expected);
    }
  });
});
