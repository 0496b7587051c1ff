// Shared by the writable-layer copy tests: an image lower with stand-in libraries, and the
// identity the eBPF sensor trusts a file by.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import type { TrustedFile } from "../../../src/native/bpfBinding";

export const sha256 = (file: string) => execFileSync("sha256sum", [file], { encoding: "utf8" }).split(" ")[0];

export function lowerWithLibraries(lower: string): void {
  fs.mkdirSync(path.join(lower, "usr", "lib"), { recursive: true });
  fs.mkdirSync(path.join(lower, "etc"), { recursive: true });
  fs.mkdirSync(path.join(lower, "tmp"), { recursive: true });
  // Real ELF files stand in for libraries: the check only looks at the magic and the digest.
  fs.copyFileSync("/bin/true", path.join(lower, "usr", "lib", "libgood.so"));
  fs.copyFileSync("/bin/false", path.join(lower, "usr", "lib", "libbad.so"));
  fs.writeFileSync(path.join(lower, "etc", "app.conf"), "listen 80\n");
}

export function statOf(file: string): TrustedFile {
  const st = fs.statSync(file, { bigint: true });
  return {
    dev: Number(st.dev),
    ino: Number(st.ino),
    ctimeSec: Number(st.ctimeNs / 1_000_000_000n),
    ctimeNsec: Number(st.ctimeNs % 1_000_000_000n),
  };
}

/** Waits (at most 5 s) for what the agent does asynchronously. */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
