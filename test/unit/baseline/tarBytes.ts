// Hand-made tar bytes for tests that need archives no honest tar writes: bad checksums,
// absurd sizes, escaping names, devices.
export interface RawHeader {
  name: string;
  type?: string;
  mode?: number;
  size?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Raw 12 bytes for the size field (base-256, garbage). */
  sizeField?: Buffer;
  /** Replaces the computed checksum. */
  checksum?: number;
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, "0") + "\0";
}

export function header(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, "utf8");
  block.write(octal(h.mode ?? 0o644, 8), 100, "latin1");
  block.write(octal(0, 8), 108, "latin1");
  block.write(octal(0, 8), 116, "latin1");
  if (h.sizeField) h.sizeField.copy(block, 124);
  else block.write(octal(h.size ?? 0, 12), 124, "latin1");
  block.write(octal(0, 12), 136, "latin1");
  block.write(h.type ?? "0", 156, "latin1");
  block.write(h.linkname ?? "", 157, 100, "utf8");
  block.write("ustar\0", 257, "latin1");
  block.write("00", 263, "latin1");
  block.write(octal(h.devmajor ?? 0, 8), 329, "latin1");
  block.write(octal(h.devminor ?? 0, 8), 337, "latin1");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(h.checksum ?? sum, 7) + " ", 148, "latin1");
  return block;
}

export function entry(h: RawHeader, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof data === "string" ? Buffer.from(data) : data;
  const padded = Buffer.alloc(Math.ceil(body.length / 512) * 512);
  body.copy(padded);
  return Buffer.concat([header({ size: body.length, ...h }), padded]);
}

export function paxEntry(records: Record<string, string>, name = "PaxHeader"): Buffer {
  const body = Object.entries(records)
    .map(([key, value]) => {
      const text = ` ${key}=${value}\n`;
      let length = text.length + 1;
      while (String(length).length + text.length !== length) length = String(length).length + text.length;
      return `${length}${text}`;
    })
    .join("");
  return entry({ name, type: "x" }, body);
}

export const END = Buffer.alloc(1024);

export function tarOf(...parts: Buffer[]): Buffer {
  return Buffer.concat([...parts, END]);
}

/** Feeds a buffer in small odd-sized chunks, to exercise the parser's chunk boundaries. */
export async function* chunked(data: Buffer, size = 333): AsyncIterable<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}
