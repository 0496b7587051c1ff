// The directory holding driftguard's package.json, build/ and the source tree's data files
// (.proto files, the review page's static files) that tsc does not copy into dist/.
import * as path from "node:path";

/** Compiled, this module is dist/src/util/packageRoot.js: three levels below the root. */
export function packageRoot(): string {
  return path.resolve(__dirname, "..", "..", "..");
}

/** A path below the package root, e.g. fromPackageRoot("src", "api"). */
export function fromPackageRoot(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}
