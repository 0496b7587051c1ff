// Finding a compiled addon: the one place that knows where node-gyp puts it.
import * as path from "node:path";

import { errorMessage } from "../util/errorMessage";
import { packageRoot } from "../util/packageRoot";

/** An addon built by binding.gyp, from build/Release or build/Debug; the error lists every path tried. */
export function loadAddon<T>(fileName: string, override?: string): T {
  const root = packageRoot();
  const candidates = [
    override,
    path.join(root, "build", "Release", fileName),
    path.join(root, "build", "Debug", fileName),
  ].filter((p): p is string => !!p);
  const errors: string[] = [];
  for (const candidate of candidates) {
    try {
      return require(candidate) as T;
    } catch (error) {
      errors.push(`  ${candidate}: ${errorMessage(error).split("\n")[0]}`);
    }
  }
  throw new Error(`driftguard native addon ${fileName} not found; run "npm run build". Tried:\n${errors.join("\n")}`);
}
