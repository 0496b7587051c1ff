// A finding cut to the limits the collector accepts (api/validateFinding.ts's table), so
// that a hostile value (a command line of 10 kB, a path near PATH_MAX inside a deep host
// path) shortens the field instead of losing the whole finding: the field ends with "…"
// and is named in truncated_fields. The native reader already cuts a command line at
// 4 KiB (native/util/ProcInfo.cc, also ending it with "…"); that cut is named here too.
import type { ApiFinding } from "../api/types";
import { STRING_LIMITS, stringAt } from "../api/validateFinding";

export const ELLIPSIS = "…";
/** What the native reader keeps of a command line (kMaxCmdline in native/util/ProcInfo.cc). */
export const NATIVE_CMDLINE_BYTES = 4096;

/** "process.commandLine" → "process.command_line", as the proto names fields. */
export function protoFieldName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase());
}

/** `text` in at most `max` code units, ending with "…", never splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  let end = Math.max(0, max - ELLIPSIS.length);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return text.slice(0, end) + ELLIPSIS;
}

/** The finding with every over-long field cut; a copy (the argument is not changed). */
export function fitFinding(f: ApiFinding): ApiFinding {
  const out: ApiFinding = {
    ...f,
    kubernetes: f.kubernetes && { ...f.kubernetes },
    container: f.container && { ...f.container },
    process: f.process && { ...f.process },
    workload: f.workload && { ...f.workload },
  };
  const truncated = new Set(f.truncatedFields ?? []);
  for (const { field, max, cut } of STRING_LIMITS) {
    const value = stringAt(out, field);
    if (!cut || value.length <= max) continue;
    setAt(out, field, cutText(value, max));
    truncated.add(protoFieldName(field));
  }
  const cmdline = out.process?.commandLine ?? "";
  // The native cut ends at a character boundary up to 3 bytes before its bound.
  if (cmdline.endsWith(ELLIPSIS) && Buffer.byteLength(cmdline) > NATIVE_CMDLINE_BYTES - 8) {
    truncated.add("process.command_line"); // cut by the native reader
  }
  out.truncatedFields = [...truncated];
  return out;
}

function setAt(f: ApiFinding, field: string, value: string): void {
  const parts = field.split(".");
  let target = f as unknown as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) target = target[part] as Record<string, unknown>;
  target[parts[parts.length - 1]] = value;
}
