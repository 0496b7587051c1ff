// The record format of spool segments: a 16-byte header, then the payload.
//
//   u32 LE payload length | u32 LE CRC-32 of (seq bytes + payload) | u64 LE sequence number
//
// A record whose CRC does not match, or that is cut short, ends the readable part of a
// segment: after a crash the tail of the last segment may be a torn write.
import * as zlib from "node:zlib";

export const FRAME_HEADER_BYTES = 16;
/** Larger payloads are refused at append (a Finding is a few KiB at most). */
export const MAX_PAYLOAD_BYTES = 1 << 20;

export function encodeFrame(seq: number, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeBigUInt64LE(BigInt(seq), 8);
  frame.set(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32LE(zlib.crc32(frame.subarray(8)), 4);
  return frame;
}

export interface FrameIndex {
  seq: number;
  /** Offset of the payload in the segment file. */
  offset: number;
  length: number;
}

/** Indexes the valid records of a segment's bytes; `validBytes` is where the first bad one starts. */
export function scanFrames(data: Buffer): { frames: FrameIndex[]; validBytes: number } {
  const frames: FrameIndex[] = [];
  let at = 0;
  while (at + FRAME_HEADER_BYTES <= data.length) {
    const length = data.readUInt32LE(at);
    const end = at + FRAME_HEADER_BYTES + length;
    if (length > MAX_PAYLOAD_BYTES || end > data.length) break;
    if (zlib.crc32(data.subarray(at + 8, end)) !== data.readUInt32LE(at + 4)) break;
    const seq = Number(data.readBigUInt64LE(at + 8));
    if (frames.length > 0 && seq !== frames[frames.length - 1].seq + 1) break;
    frames.push({ seq, offset: at + FRAME_HEADER_BYTES, length });
    at = end;
  }
  return { frames, validBytes: at };
}
