// The image the end-to-end tests attack: busybox in a first layer, and a second layer with
// a whiteout and an opaque directory, so that the merged baseline is really a merge.
import * as fs from "node:fs";

import { buildOciImage, busyboxLayer, type BuiltImage } from "../../testbed/ociImage";

export function buildDriftImage(workDir: string, name = "test.local/drift:1"): BuiltImage {
  const busybox = fs.readFileSync("/bin/busybox");
  return buildOciImage(workDir, name, [
    [
      ...busyboxLayer(),
      { kind: "dir", path: "opt/old" },
      { kind: "file", path: "opt/old/echo", content: busybox, mode: 0o755 }, // hidden by the opaque dir above
      { kind: "file", path: "bin/gone", content: busybox, mode: 0o755 }, // deleted by a whiteout above
      { kind: "file", path: "etc/elf-data", content: busybox, mode: 0o644 }, // a program without exec bit
      { kind: "dir", path: "hostvol" },
    ],
    [
      { kind: "opaque", path: "opt/old" },
      { kind: "file", path: "opt/old/script.sh", content: "#!/bin/sh\necho script-ran\n", mode: 0o755 },
      { kind: "whiteout", path: "bin/gone" },
    ],
  ]);
}
