// One 512-byte tar header block (ustar, with GNU and pax variants), validated: checksum,
// octal or base-256 numbers, and nothing trusted that has not been checked.
import { BaselineError } from "../types";

export const BLOCK = 512;

/** Typeflags this reader knows. Anything else is refused with its byte. */
export const TYPE = {
  file: "0",
  oldFile: "\0",
  hardlink: "1",
  symlink: "2",
  charDevice: "3",
  blockDevice: "4",
  dir: "5",
  fifo: "6",
  contiguous: "7",
  paxHeader: "x",
  paxGlobal: "g",
  gnuLongName: "L",
  gnuLongLink: "K",
  gnuSparse: "S",
  gnuVolume: "V",
} as const;

export interface TarHeader {
  name: string;
  mode: number;
  size: number;
  typeflag: string;
  linkname: string;
  devmajor: number;
  devminor: number;
}

/** Types whose size field does not announce data blocks (as Go's archive/tar reads them). */
export function isHeaderOnly(typeflag: string): boolean {
  return typeflag.length === 1 && "123456".includes(typeflag);
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? length : nul).toString("utf8");
}

/**
 * A numeric field: octal digits (padded with spaces or NULs), or GNU base-256 when the
 * high bit of the first byte is set. Negative or unsafe values are refused: they would
 * make a reader seek backwards or overflow its arithmetic.
 */
export function parseNumeric(field: Buffer, what: string, source: string, offset: number): number {
  const fail = (why: string): BaselineError =>
    new BaselineError("BAD_ARCHIVE", source, `header at byte ${offset}: ${what} field ${why}`);
  if (field[0] & 0x80) {
    if (field[0] & 0x40) throw fail("is a negative base-256 number");
    let value = field[0] & 0x3f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + field[i];
      if (value > Number.MAX_SAFE_INTEGER) throw fail("is too large");
    }
    return value;
  }
  let i = 0;
  while (i < field.length && (field[i] === 0x20 || field[i] === 0)) i++;
  let value = 0;
  let digits = 0;
  for (; i < field.length; i++) {
    const c = field[i];
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw fail(`has a non-octal byte 0x${c.toString(16)}`);
    value = value * 8 + (c - 0x30);
    digits++;
  }
  for (; i < field.length; i++) {
    if (field[i] !== 0x20 && field[i] !== 0) throw fail("has bytes after its terminator");
  }
  if (digits === 0) return 0;
  return value;
}

function checksumMatches(block: Buffer, stored: number): boolean {
  // The checksum field counts as eight spaces; old tars summed signed bytes.
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += block[i];
    signed += block[i] < 128 ? block[i] : block[i] - 256;
  }
  return stored === unsigned || stored === signed;
}

/** Parses a non-zero header block at `offset` of the archive. */
export function parseHeader(block: Buffer, source: string, offset: number): TarHeader {
  const stored = parseNumeric(block.subarray(148, 156), "checksum", source, offset);
  if (!checksumMatches(block, stored)) {
    throw new BaselineError(
      "BAD_ARCHIVE",
      source,
      `header at byte ${offset}: checksum mismatch (not a tar archive, or corrupt or truncated)`,
    );
  }
  const magic = block.subarray(257, 263).toString("latin1");
  let name = text(block, 0, 100);
  // POSIX ustar splits long names into prefix/name; GNU tars use that area for times.
  if (magic === "ustar\0") {
    const prefix = text(block, 345, 155);
    if (prefix !== "") name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: parseNumeric(block.subarray(100, 108), "mode", source, offset),
    size: parseNumeric(block.subarray(124, 136), "size", source, offset),
    typeflag: String.fromCharCode(block[156]),
    linkname: text(block, 157, 100),
    devmajor: parseNumeric(block.subarray(329, 337), "devmajor", source, offset),
    devminor: parseNumeric(block.subarray(337, 345), "devminor", source, offset),
  };
}

/** Bytes of padding after `size` bytes of data. */
export function paddingOf(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A GNU long name body: text up to the first NUL. */
export function nulTerminated(body: Buffer): string {
  const nul = body.indexOf(0);
  return body.subarray(0, nul < 0 ? body.length : nul).toString("utf8");
}
