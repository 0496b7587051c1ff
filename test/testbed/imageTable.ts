// A NativeImageTable computed straight from a layer directory with node:crypto, for native
// tests that must not depend on the baseline module they would then be testing.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { IMAGE_FILE_EXECUTABLE, IMAGE_FILE_HASHED, type NativeImageTable } from "../../src/native/binding";

export function sha256Of(file: string): string {
  return createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

function isProgram(file: string, mode: number): boolean {
  if (mode & 0o111) return true;
  const head = fs.readFileSync(file).subarray(0, 4);
  return head.toString("latin1") === "\x7fELF" || head.subarray(0, 2).toString() === "#!";
}

export function imageTableOf(layerDir: string): NativeImageTable {
  const files: string[] = [];
  const digests: Buffer[] = [];
  const flags: number[] = [];
  const sizes: number[] = [];
  const otherPaths: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      const inImage = "/" + path.relative(layerDir, full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && isProgram(full, st.mode)) {
        files.push(inImage);
        digests.push(Buffer.from(sha256Of(full), "hex"));
        flags.push((st.mode & 0o111 ? IMAGE_FILE_EXECUTABLE : 0) | IMAGE_FILE_HASHED);
        sizes.push(st.size);
      } else if (st.isFile()) otherPaths.push(inImage);
    }
  };
  walk(layerDir);
  return {
    files,
    digests: Buffer.concat(digests),
    flags: Uint8Array.from(flags),
    sizes: Float64Array.from(sizes),
    otherPaths,
  };
}
