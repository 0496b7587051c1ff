// The pure drift decision, table-driven: every reason, every mode, every exception kind.
import * as assert from "node:assert/strict";

import { nativeTestBinding, type JudgeCandidate } from "../../testbed/nativeTestBinding";
import { A, B, enforce, judgeRows, policy, type Row } from "./judgeRows";

const rows: Row[] = [
  {
    name: "copied-up image binary with the same content",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
      digest: A,
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "image binary overwritten in place",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
      digest: B,
    },
    verdict: "blocked",
    reason: "modified",
  },
  {
    name: "new file",
    candidate: { where: "writable_layer", policy: enforce, containerPath: "/tmp/x", digest: A },
    verdict: "blocked",
    reason: "new_file",
  },
  {
    name: "non-executable image program made executable, same content",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/etc/elf",
      imageFile: { sha256: A, executable: false, size: 100 },
      size: 100,
      digest: A,
    },
    verdict: "blocked",
    reason: "made_executable",
  },
  {
    name: "non-executable image program made executable and changed",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/etc/elf",
      imageFile: { sha256: A, executable: false, size: 100 },
      size: 100,
      digest: B,
    },
    verdict: "blocked",
    reason: "modified",
  },
  {
    name: "plain image file made executable",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/etc/passwd",
      imageHasOtherPath: true,
      digest: A,
    },
    verdict: "blocked",
    reason: "made_executable",
  },
  {
    name: "volume",
    candidate: { where: "volume", policy: enforce, containerPath: "/data/x", digest: A },
    verdict: "blocked",
    reason: "volume",
  },
  {
    name: "host file run by a container process",
    candidate: { where: "host", policy: enforce, containerPath: "/x" },
    verdict: "blocked",
    reason: "volume",
  },
  {
    name: "deleted file",
    candidate: { where: "no_path", policy: enforce, containerPath: "/x" },
    verdict: "blocked",
    reason: "fileless",
  },
  {
    name: "image layer",
    candidate: { where: "image_layer", policy: enforce, containerPath: "/bin/ls" },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "audit mode records instead of blocking",
    candidate: { where: "writable_layer", policy: policy("audit"), containerPath: "/tmp/x", digest: A },
    verdict: "audited",
    reason: "new_file",
  },
  {
    name: "disabled mode allows everything",
    candidate: { where: "volume", policy: policy("disabled"), containerPath: "/data/x", digest: A },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "allowed digest",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowDigests: [A] }),
      containerPath: "/tmp/x",
      digest: A,
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "allowed digest does not cover other content",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowDigests: [A] }),
      containerPath: "/tmp/x",
      digest: B,
    },
    verdict: "blocked",
    reason: "new_file",
  },
  {
    name: "allowed path glob",
    candidate: {
      where: "volume",
      policy: policy("enforce", { allowPaths: ["/data/*.sh"] }),
      containerPath: "/data/run.sh",
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "path globs do not cross directories",
    candidate: {
      where: "volume",
      policy: policy("enforce", { allowPaths: ["/data/*"] }),
      containerPath: "/data/sub/x",
    },
    verdict: "blocked",
    reason: "volume",
  },
  {
    name: "denied image binary",
    candidate: {
      where: "image_layer",
      policy: policy("enforce", { denyPaths: ["/usr/bin/nc"] }),
      containerPath: "/usr/bin/nc",
    },
    verdict: "blocked",
    reason: "denied",
  },
  {
    name: "denied image binary in audit mode",
    candidate: {
      where: "image_layer",
      policy: policy("audit", { denyPaths: ["/usr/bin/*"] }),
      containerPath: "/usr/bin/curl",
    },
    verdict: "audited",
    reason: "denied",
  },
  {
    name: "deny list does not touch other image binaries",
    candidate: {
      where: "image_layer",
      policy: policy("enforce", { denyPaths: ["/usr/bin/nc"] }),
      containerPath: "/usr/bin/ncat",
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "denied path wins over an allowed path",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { denyPaths: ["/tmp/nc"], allowPaths: ["/tmp/*"] }),
      containerPath: "/tmp/nc",
      digest: A,
    },
    verdict: "blocked",
    reason: "new_file",
  },
  {
    name: "drift run by an allowed image program (the caller of execve)",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowParents: ["/opt/jdk/bin/java"] }),
      containerPath: "/tmp/jit",
      digest: A,
      callerProgram: "/opt/jdk/bin/java",
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "drift run by another program, whatever its parent",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowParents: ["/usr/bin/make"] }),
      containerPath: "/src/a.out",
      digest: A,
      callerProgram: "/bin/sh",
    },
    verdict: "blocked",
    reason: "new_file",
  },
  {
    name: "allowed volume path",
    candidate: {
      where: "volume",
      policy: policy("enforce", { allowVolumes: ["/scripts/*"] }),
      containerPath: "/scripts/entry.sh",
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "volume allowance does not cover the writable layer",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowVolumes: ["/scripts/*"] }),
      containerPath: "/scripts/entry.sh",
      digest: A,
    },
    verdict: "blocked",
    reason: "new_file",
  },
];

describe("judge: the drift decision", () => {
  judgeRows(rows);

  it("rejects a malformed policy with a message naming the field", () => {
    const bad = {
      where: "volume",
      policy: { ...enforce, mode: "block" },
      containerPath: "/x",
    } as unknown as JudgeCandidate;
    assert.throws(
      () => nativeTestBinding().judge(bad),
      /candidate\.policy\.mode must be "enforce", "audit" or "disabled", not "block"/,
    );
  });
});
