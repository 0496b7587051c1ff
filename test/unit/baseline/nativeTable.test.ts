import * as assert from "node:assert/strict";

import { toNativeTable } from "../../../src/baseline/nativeTable";
import { IMAGE_FILE_EXECUTABLE, IMAGE_FILE_HASHED } from "../../../src/native/binding";
import { sha256 } from "./fixtures";

describe("toNativeTable", () => {
  it("lists programs with digests and flags, other regular files by path", () => {
    const digest = sha256("ls");
    const hiddenElf = sha256("elf");
    const table = toNativeTable({
      layers: ["l"],
      files: new Map([
        ["/bin/ls", { mode: 0o100755, size: 2, executable: true, sha256: digest }],
        ["/lib/x.so", { mode: 0o100644, size: 3, executable: false, sha256: hiddenElf, program: "elf" as const }],
        ["/opt/huge", { mode: 0o100755, size: 9e9, executable: true }],
        ["/etc/passwd", { mode: 0o100644, size: 10, executable: false }],
      ]),
    });
    assert.deepEqual(table.files, ["/bin/ls", "/lib/x.so", "/opt/huge"]);
    assert.deepEqual(
      [...table.flags],
      [IMAGE_FILE_EXECUTABLE | IMAGE_FILE_HASHED, IMAGE_FILE_HASHED, IMAGE_FILE_EXECUTABLE],
    );
    assert.equal(table.digests.length, 96);
    assert.equal(table.digests.subarray(0, 32).toString("hex"), digest);
    assert.equal(table.digests.subarray(32, 64).toString("hex"), hiddenElf);
    assert.ok(table.digests.subarray(64).every((b) => b === 0));
    assert.deepEqual(table.otherPaths, ["/etc/passwd"]);
  });
});
