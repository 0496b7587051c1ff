// pax extended header records ("%d %s=%s\n"), of which we apply path, linkpath and size.
import { BaselineError } from "../types";

export interface PaxOverrides {
  path?: string;
  linkpath?: string;
  size?: number;
}

export function parsePaxRecords(body: Buffer, source: string, offset: number): PaxOverrides {
  const fail = (why: string): BaselineError =>
    new BaselineError("BAD_ARCHIVE", source, `pax header at byte ${offset}: ${why}`);
  const out: PaxOverrides = {};
  let pos = 0;
  while (pos < body.length) {
    // Some writers pad the body with NULs.
    if (body[pos] === 0) break;
    const space = body.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) throw fail("record without a length");
    const lengthText = body.subarray(pos, space).toString("latin1");
    if (!/^[0-9]+$/.test(lengthText)) throw fail(`bad record length ${JSON.stringify(lengthText)}`);
    const length = Number(lengthText);
    const end = pos + length;
    if (length <= space - pos + 1 || end > body.length || body[end - 1] !== 0x0a) {
      throw fail(`record length ${length} does not fit the header`);
    }
    const record = body.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw fail("record without key=value");
    const key = record.subarray(0, eq).toString("utf8");
    const value = record.subarray(eq + 1).toString("utf8");
    if (key === "path") out.path = value;
    else if (key === "linkpath") out.linkpath = value;
    else if (key === "size") {
      if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value)))
        throw fail(`bad size ${JSON.stringify(value)}`);
      out.size = Number(value);
    } else if (key.startsWith("GNU.sparse.")) {
      throw new BaselineError(
        "BAD_ARCHIVE",
        source,
        `pax header at byte ${offset}: GNU sparse files are not supported`,
      );
    }
    pos = end;
  }
  return out;
}
