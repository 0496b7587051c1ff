// Indexes the members of a tar file by reading only its headers (positioned reads, data
// skipped by seeking), so an OCI image archive of gigabytes can be read without being
// extracted or read twice.
import type { FileHandle } from "node:fs/promises";

import { normalizeArchivePath } from "../imagePath";
import { BaselineError } from "../types";
import { parsePaxRecords, type PaxOverrides } from "./paxRecords";
import { MAX_META_BYTES } from "./TarParser";
import { BLOCK, TYPE, isHeaderOnly, isZeroBlock, nulTerminated, paddingOf, parseHeader } from "./tarHeader";

export interface TarMember {
  /** Normalised absolute path inside the archive ("/index.json"). */
  path: string;
  typeflag: string;
  linkname: string;
  dataOffset: number;
  size: number;
}

export async function indexTarFile(
  file: FileHandle,
  source: string,
  maxMembers: number,
): Promise<Map<string, TarMember>> {
  const fileSize = (await file.stat()).size;
  const members = new Map<string, TarMember>();
  const block = Buffer.alloc(BLOCK);
  let offset = 0;
  let pax: PaxOverrides = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let count = 0;
  for (;;) {
    if (offset + BLOCK > fileSize) {
      if (offset === fileSize && Object.keys(pax).length === 0 && longName === undefined) return members;
      throw new BaselineError("BAD_ARCHIVE", source, `truncated archive: a header at byte ${offset} is cut off`);
    }
    await readExactly(file, block, offset);
    if (isZeroBlock(block)) return members;
    if (++count > maxMembers) {
      throw new BaselineError("TOO_MANY_ENTRIES", source, `more than ${maxMembers} members in the image archive`);
    }
    const header = parseHeader(block, source, offset);
    const dataOffset = offset + BLOCK;
    const size = isHeaderOnly(header.typeflag) ? 0 : (pax.size ?? header.size);
    if (dataOffset + size > fileSize) {
      throw new BaselineError(
        "BAD_ARCHIVE",
        source,
        `truncated archive: member at byte ${offset} declares ${size} bytes, the file ends first`,
      );
    }
    offset = dataOffset + size + paddingOf(size);
    switch (header.typeflag) {
      case TYPE.paxHeader:
      case TYPE.paxGlobal:
      case TYPE.gnuLongName:
      case TYPE.gnuLongLink: {
        if (header.size > MAX_META_BYTES) {
          throw new BaselineError("BAD_ARCHIVE", source, `metadata entry at byte ${dataOffset - BLOCK} is too large`);
        }
        const body = Buffer.alloc(header.size);
        await readExactly(file, body, dataOffset);
        if (header.typeflag === TYPE.paxHeader) pax = parsePaxRecords(body, source, dataOffset - BLOCK);
        else if (header.typeflag === TYPE.gnuLongName) longName = nulTerminated(body);
        else if (header.typeflag === TYPE.gnuLongLink) longLink = nulTerminated(body);
        continue;
      }
    }
    const name = pax.path ?? longName ?? header.name;
    const member: TarMember = {
      path: normalizeArchivePath(name, source),
      typeflag: header.typeflag,
      linkname: pax.linkpath ?? longLink ?? header.linkname,
      dataOffset,
      size,
    };
    members.set(member.path, member);
    pax = {};
    longName = longLink = undefined;
  }
}

export async function readExactly(file: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await file.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}
