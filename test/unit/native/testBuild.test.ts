// Test-only functions live in the test build of the addon, never in the one that ships.
import * as assert from "node:assert/strict";

import { nativeBinding } from "../../../src/native/binding";
import { nativeTestBinding } from "../../testbed/nativeTestBinding";

describe("native test build", () => {
  it("exports judge, vocabulary, beneathMode and cgroupOfEndingProcess; the production addon does not", () => {
    const production = nativeBinding() as unknown as Record<string, unknown>;
    const test = nativeTestBinding() as unknown as Record<string, unknown>;
    for (const name of ["beneathMode", "cgroupOfEndingProcess", "judge", "vocabulary"]) {
      assert.equal(typeof test[name], "function", `test build: ${name}`);
      assert.equal(production[name], undefined, `production addon: ${name}`);
    }
    assert.deepEqual(
      Object.keys(test)
        .filter((k) => !(k in production))
        .sort(),
      ["beneathMode", "cgroupOfEndingProcess", "judge", "vocabulary"],
    );
  });
});
