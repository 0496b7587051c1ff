import * as assert from "node:assert/strict";
import * as fs from "node:fs";

import { fromPackageRoot, packageRoot } from "../../../src/util/packageRoot";

describe("packageRoot", () => {
  it("is the directory of driftguard's package.json, seen from the compiled module", () => {
    const pkg = JSON.parse(fs.readFileSync(fromPackageRoot("package.json"), "utf8")) as { name: string };
    assert.equal(pkg.name, "driftguard");
    assert.ok(fs.existsSync(fromPackageRoot("src", "api", "driftguard", "v1", "finding.proto")));
    assert.equal(fromPackageRoot(), packageRoot());
  });
});
