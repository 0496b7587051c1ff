// Policy resolution, table-driven: priority, ties by name, the default, enforceAfter.
import * as assert from "node:assert/strict";

import { parseEnforceAfter } from "../../../src/policy/enforceAfter";
import { resolvePolicy } from "../../../src/policy/resolve";
import type { DriftPolicy, EnforceAfter } from "../../../src/policy/types";
import { policy, workload } from "./fixtures";

const NOW = Date.parse("2026-01-10T00:00:00Z");
const DAY = 86_400_000;

function after(text: string): EnforceAfter {
  const parsed = parseEnforceAfter(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

interface Row {
  name: string;
  policies: DriftPolicy[];
  firstApplied?: Record<string, number>;
  expect: { name: string; mode: string; enforceAtMs?: number };
}

const shop = { namespaces: ["shop"] };
const rows: Row[] = [
  { name: "no policies: the default mode", policies: [], expect: { name: "default", mode: "audit" } },
  {
    name: "no policy matches: the default mode",
    policies: [policy("prod", { selector: { namespaces: ["prod"] } })],
    expect: { name: "default", mode: "audit" },
  },
  {
    name: "the only match applies",
    policies: [policy("shop", { selector: shop, mode: "enforce" })],
    expect: { name: "shop", mode: "enforce" },
  },
  {
    name: "the highest priority wins",
    policies: [
      policy("a-low", { priority: 1, selector: shop, mode: "audit" }),
      policy("z-high", { priority: 5, selector: shop, mode: "enforce" }),
    ],
    expect: { name: "z-high", mode: "enforce" },
  },
  {
    name: "negative priorities rank below 0",
    policies: [policy("neg", { priority: -5, mode: "enforce" }), policy("zero", { mode: "disabled" })],
    expect: { name: "zero", mode: "disabled" },
  },
  {
    name: "a tie goes to the first name",
    policies: [policy("b", { mode: "audit" }), policy("a", { mode: "enforce" }), policy("c", { mode: "disabled" })],
    expect: { name: "a", mode: "enforce" },
  },
  {
    name: "a higher policy that does not match does not hide a lower one",
    policies: [
      policy("prod", { priority: 9, selector: { namespaces: ["prod"] }, mode: "enforce" }),
      policy("all", { mode: "audit" }),
    ],
    expect: { name: "all", mode: "audit" },
  },
  {
    name: "enforceAfter date in the future: still audit",
    policies: [policy("p", { mode: "audit", enforceAfter: after("2026-02-01") })],
    expect: { name: "p", mode: "audit", enforceAtMs: Date.parse("2026-02-01T00:00:00Z") },
  },
  {
    name: "enforceAfter date passed: enforce",
    policies: [policy("p", { mode: "audit", enforceAfter: after("2026-01-09T12:00:00+01:00") })],
    expect: { name: "p", mode: "enforce" },
  },
  {
    name: "enforceAfter duration, never applied: counts from now",
    policies: [policy("p", { mode: "audit", enforceAfter: after("7d") })],
    expect: { name: "p", mode: "audit", enforceAtMs: NOW + 7 * DAY },
  },
  {
    name: "enforceAfter duration, applied 3 days ago",
    policies: [policy("p", { mode: "audit", enforceAfter: after("7d") })],
    firstApplied: { p: NOW - 3 * DAY },
    expect: { name: "p", mode: "audit", enforceAtMs: NOW + 4 * DAY },
  },
  {
    name: "enforceAfter duration, applied 7 days ago: enforce",
    policies: [policy("p", { mode: "audit", enforceAfter: after("7d") })],
    firstApplied: { p: NOW - 7 * DAY },
    expect: { name: "p", mode: "enforce" },
  },
  {
    name: "enforceAfter on a policy not in audit changes nothing",
    policies: [policy("p", { mode: "disabled", enforceAfter: after("1s") })],
    firstApplied: { p: NOW - DAY },
    expect: { name: "p", mode: "disabled" },
  },
];

describe("policy resolution", () => {
  for (const row of rows) {
    it(row.name, () => {
      const r = resolvePolicy(workload(), row.policies, {
        defaultMode: "audit",
        nowMs: NOW,
        firstAppliedMs: (name) => row.firstApplied?.[name],
      });
      assert.deepEqual(
        { name: r.name, mode: r.mode, enforceAtMs: r.enforceAtMs },
        { enforceAtMs: undefined, ...row.expect },
        r.reasons.join("\n"),
      );
    });
  }

  it("is independent of the order policies are given in", () => {
    const set = [
      policy("b", { priority: 2 }),
      policy("a", { priority: 2 }),
      policy("c", { priority: 3, selector: { namespaces: ["x"] } }),
    ];
    const names = [set, [...set].reverse(), [set[1], set[2], set[0]]].map(
      (order) => resolvePolicy(workload(), order, { defaultMode: "audit", nowMs: NOW }).name,
    );
    assert.deepEqual(names, ["a", "a", "a"]);
  });

  it("says why: what matched, what it outranks, the mode; and what every policy did", () => {
    const r = resolvePolicy(
      workload({ podLabels: { app: "web" } }),
      [
        policy("web", { priority: 10, selector: { namespaces: ["shop"], matchLabels: { app: "web" } } }),
        policy("all", { mode: "audit" }),
        policy("prod", { priority: 50, selector: { namespaces: ["prod"] } }),
      ],
      { defaultMode: "audit", nowMs: NOW },
    );
    assert.deepEqual(r.reasons, [
      "policy web (priority 10, web.yaml:1) matches: namespace shop matches shop; labels app=web match",
      "it outranks the other matching all (priority 0)",
      "mode enforce",
    ]);
    assert.deepEqual(
      r.considered.map((c) => [c.name, c.matched]),
      [
        ["prod", false],
        ["web", true],
        ["all", true],
      ],
    );
  });
});

describe("enforceAfter values", () => {
  const good: [string, EnforceAfter["kind"], number][] = [
    ["2s", "duration", 2000],
    ["1h30m", "duration", 5_400_000],
    ["2w", "duration", 14 * DAY],
    ["2026-03-01", "date", Date.parse("2026-03-01T00:00:00Z")],
    ["2026-03-01T08:00:00Z", "date", Date.parse("2026-03-01T08:00:00Z")],
    ["2026-03-01T08:00:00.5+02:00", "date", Date.parse("2026-03-01T06:00:00.500Z")],
  ];
  for (const [text, kind, ms] of good) {
    it(`parses ${text}`, () => {
      const parsed = after(text);
      assert.equal(parsed.kind, kind);
      assert.equal(parsed.kind === "date" ? parsed.atMs : parsed.ms, ms);
    });
  }
  for (const text of ["0s", "2026-02-30", "2026-13-01", "2026-03-01T25:00:00Z", "soon", "5y", "100000w"]) {
    it(`rejects ${text}`, () => assert.equal(typeof parseEnforceAfter(text), "string"));
  }
});
