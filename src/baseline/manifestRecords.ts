// One layer manifest as a stream of binary records, in tree order (./treeOrder.ts): what
// the layer walk and the tar reader write, the on-disk cache stores and the merge reads.
// A record is a few bytes plus its path, so a layer never needs a JS object per entry
// for longer than it takes to pass through.
//
// Record: kind u8 | [file: mode u32 | size f64 | flags u8 | sha256 32 bytes if hashed]
//         | path length u32 | path (UTF-8).
import type { LayerSpecial } from "./types";

export type ManifestRecord =
  | { kind: "file"; path: string; mode: number; size: number; sha256?: string; program?: "elf" | "script" }
  | { kind: LayerSpecial["kind"] | "whiteout" | "opaque"; path: string };

const KINDS = ["file", "dir", "symlink", "device", "fifo", "socket", "whiteout", "opaque"] as const;
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]));
const HASHED = 1;
const ELF = 2;
const SCRIPT = 4;
const FIXED_FILE_BYTES = 4 + 8 + 1;
const DIGEST_BYTES = 32;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

/** Bytes a record needs at most besides its path. */
export const MAX_RECORD_OVERHEAD = 1 + FIXED_FILE_BYTES + DIGEST_BYTES + 4;

export function encodedLength(record: ManifestRecord): number {
  const pathBytes = Buffer.byteLength(record.path);
  if (record.kind !== "file") return 1 + 4 + pathBytes;
  return 1 + FIXED_FILE_BYTES + (record.sha256 !== undefined ? DIGEST_BYTES : 0) + 4 + pathBytes;
}

/** Writes the record at offset (the caller made room: encodedLength); returns the end. */
export function encodeRecord(record: ManifestRecord, buffer: Buffer, offset: number): number {
  let at = buffer.writeUInt8(KIND_CODE.get(record.kind)!, offset);
  if (record.kind === "file") {
    at = buffer.writeUInt32LE(record.mode >>> 0, at);
    at = buffer.writeDoubleLE(record.size, at);
    const flags =
      (record.sha256 !== undefined ? HASHED : 0) |
      (record.program === "elf" ? ELF : 0) |
      (record.program === "script" ? SCRIPT : 0);
    at = buffer.writeUInt8(flags, at);
    if (record.sha256 !== undefined) {
      if (!HEX_DIGEST.test(record.sha256)) throw new Error(`${record.path}: sha256 is not 64 hex digits`);
      buffer.write(record.sha256, at, DIGEST_BYTES, "hex");
      at += DIGEST_BYTES;
    }
  }
  const pathBytes = buffer.write(record.path, at + 4, "utf8");
  buffer.writeUInt32LE(pathBytes, at);
  return at + 4 + pathBytes;
}

/**
 * Decodes the record at offset when all of it lies before `end`; undefined when it is cut
 * off (the caller reads more). Throws on bytes that are no record.
 */
export function decodeRecord(
  buffer: Buffer,
  offset: number,
  end: number,
): { record: ManifestRecord; next: number } | undefined {
  if (offset + 1 > end) return undefined;
  const kind = KINDS[buffer[offset]];
  if (kind === undefined) throw new Error(`not a manifest record: kind byte ${buffer[offset]} at ${offset}`);
  let at = offset + 1;
  if (kind !== "file") {
    if (at + 4 > end) return undefined;
    const length = buffer.readUInt32LE(at);
    if (at + 4 + length > end) return undefined;
    return { record: { kind, path: buffer.toString("utf8", at + 4, at + 4 + length) }, next: at + 4 + length };
  }
  if (at + FIXED_FILE_BYTES > end) return undefined;
  const mode = buffer.readUInt32LE(at);
  const size = buffer.readDoubleLE(at + 4);
  const flags = buffer[at + 12];
  at += FIXED_FILE_BYTES;
  const digestAt = at;
  if (flags & HASHED) at += DIGEST_BYTES;
  if (at + 4 > end) return undefined;
  const length = buffer.readUInt32LE(at);
  if (at + 4 + length > end) return undefined;
  const record: ManifestRecord = { kind, path: buffer.toString("utf8", at + 4, at + 4 + length), mode, size };
  if (flags & HASHED) record.sha256 = buffer.toString("hex", digestAt, digestAt + DIGEST_BYTES);
  if (flags & ELF) record.program = "elf";
  else if (flags & SCRIPT) record.program = "script";
  return { record, next: at + 4 + length };
}
