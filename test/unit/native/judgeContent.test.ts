// The pure drift decision when a file's content is in question: path and size decide
// without a digest where they can, the digest is waited for only where it could change the
// verdict (the image file's size at its path, digest exceptions), and without a proven one
// the verdict is unverified; parent exceptions wait for the calling program.
import { A, enforce, judgeRows, policy, type Row } from "./judgeRows";

const rows: Row[] = [
  {
    name: "image binary's path and size: the content decides, so the verdict waits for it",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
    },
    verdict: "blocked",
    reason: "unverified",
    needsDigest: true,
  },
  {
    name: "image binary's path and size, content not provable in time (a writer, the hash deadline)",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
      digestUnavailable: true,
    },
    verdict: "blocked",
    reason: "unverified",
  },
  {
    name: "unverified in audit runs and is reported",
    candidate: {
      where: "writable_layer",
      policy: policy("audit"),
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
      digestUnavailable: true,
    },
    verdict: "audited",
    reason: "unverified",
  },
  {
    name: "image binary's path with another size: modified without a hash",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 1 << 30,
    },
    verdict: "blocked",
    reason: "modified",
  },
  {
    name: "image binary the baseline could not hash (too large): modified without a hash",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/bin/ls",
      imageFile: { sha256: "", executable: true, size: 100 },
      size: 100,
    },
    verdict: "blocked",
    reason: "modified",
  },
  {
    name: "no baseline (failed, or over its budget): unverified at once",
    candidate: { where: "writable_layer", policy: enforce, containerPath: "/bin/ls", imageUnknown: true, size: 100 },
    verdict: "blocked",
    reason: "unverified",
  },
  {
    name: "no baseline, in audit",
    candidate: {
      where: "writable_layer",
      policy: policy("audit"),
      containerPath: "/tmp/x",
      imageUnknown: true,
      size: 100,
    },
    verdict: "audited",
    reason: "unverified",
  },
  {
    name: "denied path with the image file's size: denied, no need to prove its content",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { denyPaths: ["/bin/ls"] }),
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
    },
    verdict: "blocked",
    reason: "denied",
  },
  {
    name: "non-executable image program made executable, same size: drift without waiting for the digest",
    candidate: {
      where: "writable_layer",
      policy: enforce,
      containerPath: "/etc/elf",
      imageFile: { sha256: A, executable: false, size: 100 },
      size: 100,
    },
    verdict: "blocked",
    reason: "made_executable",
  },
  {
    name: "digest exceptions: a new file waits for its digest",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowDigests: [A] }),
      containerPath: "/tmp/x",
    },
    verdict: "blocked",
    reason: "new_file",
    needsDigest: true,
  },
  {
    name: "digest exceptions: a new file whose digest could not be proven is unverified",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowDigests: [A] }),
      containerPath: "/tmp/x",
      digestUnavailable: true,
    },
    verdict: "blocked",
    reason: "unverified",
  },
  {
    name: "digest exceptions: a volume file waits for its digest too",
    candidate: { where: "volume", policy: policy("enforce", { allowDigests: [A] }), containerPath: "/data/x" },
    verdict: "blocked",
    reason: "volume",
    needsDigest: true,
  },
  {
    name: "digest exceptions do not make an allowed path wait",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowDigests: [A], allowPaths: ["/tmp/*"] }),
      containerPath: "/tmp/x",
    },
    verdict: "allowed",
    reason: "none",
  },
  {
    name: "parent exceptions: drift waits for the calling program",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowParents: ["/usr/bin/make"] }),
      containerPath: "/src/a.out",
    },
    verdict: "blocked",
    reason: "new_file",
    needsCaller: true,
  },
  {
    name: "parent exceptions: an image program does not wait for the calling program",
    candidate: {
      where: "writable_layer",
      policy: policy("enforce", { allowParents: ["/usr/bin/make"] }),
      containerPath: "/bin/ls",
      imageFile: { sha256: A, executable: true, size: 100 },
      size: 100,
      digest: A,
    },
    verdict: "allowed",
    reason: "none",
  },
];

describe("judge: content, size and the caller", () => {
  judgeRows(rows);
});
