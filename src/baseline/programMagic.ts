// A program is a file the kernel would exec: an ELF image or a "#!" script. Files without
// an exec bit are sniffed too, so that `chmod +x` of an image ELF at run time is told
// apart from a brand new file (made_executable vs new_file).
import * as fs from "node:fs";

/** Bytes needed to tell a program by its first bytes. */
export const MAGIC_BYTES = 4;

export type ProgramKind = "elf" | "script";

export function programKindOf(head: Buffer): ProgramKind | undefined {
  if (head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return "elf";
  if (head.length >= 2 && head[0] === 0x23 && head[1] === 0x21) return "script";
  return undefined;
}

export function hasExecBit(mode: number): boolean {
  return (mode & 0o111) !== 0;
}

/**
 * Reads the first bytes of a regular file without following a symlink or blocking on a
 * FIFO that replaced it. Used only for files too large to hash (the native hasher
 * refuses those), so the cost of a JS open does not matter.
 */
export async function sniffFile(file: string): Promise<ProgramKind | undefined> {
  const handle = await fs.promises.open(
    file,
    fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK,
  );
  try {
    if (!(await handle.stat()).isFile()) throw new Error(`open ${file}: not a regular file`);
    const head = Buffer.alloc(MAGIC_BYTES);
    const { bytesRead } = await handle.read(head, 0, MAGIC_BYTES, 0);
    return programKindOf(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
