// STYLE.md's structural rules, checked so that they do not regress: no file in src/ or
// native/ over 300 lines, no import cycle among the TypeScript in src/, no include cycle
// in native/.
import * as assert from "node:assert/strict";
import * as path from "node:path";

import { fromPackageRoot } from "../../../src/util/packageRoot";
import { cycles, filesUnder, lineCount, nativeIncludes, typescriptImports } from "./sourceGraph";

export const MAX_LINES = 300;

/** Problems of the tree under root: oversized files, then cycles, as readable lines. */
export function structureProblems(root: string): {
  oversized: string[];
  importCycles: string[];
  includeCycles: string[];
} {
  const relative = (f: string) => path.relative(root, f);
  const all = [...filesUnder(path.join(root, "src")), ...filesUnder(path.join(root, "native"))];
  // A generated file (the policy JSON Schema, made from src/policy/schema.ts) is read by
  // tools, not people: its source is what must stay small.
  const oversized = all
    .filter((f) => !f.endsWith(".schema.json"))
    .map((f) => ({ f, lines: lineCount(f) }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ f, lines }) => `${relative(f)}: ${lines} lines`);
  const ts = filesUnder(path.join(root, "src"), (f) => f.endsWith(".ts"));
  const native = filesUnder(path.join(root, "native"), (f) => /\.(cc|hh|c|h)$/.test(f));
  const show = (cycle: string[]) => cycle.map(relative).join(" -> ");
  return {
    oversized,
    importCycles: cycles(typescriptImports(ts)).map(show),
    includeCycles: cycles(nativeIncludes(native, path.join(root, "native"))).map(show),
  };
}

describe("source structure", () => {
  const problems = structureProblems(fromPackageRoot());

  it(`no file in src/ or native/ has more than ${MAX_LINES} lines`, () => {
    assert.deepEqual(problems.oversized, []);
  });

  it("no import cycle in src/ (type-only imports count)", () => {
    assert.deepEqual(problems.importCycles, []);
  });

  it("no include cycle in native/", () => {
    assert.deepEqual(problems.includeCycles, []);
  });
});
