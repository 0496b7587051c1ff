// One process as /proc shows it to the agent (hostPID: host pids), read with bounded
// buffers: a container chooses its processes' arguments and names, and can hold the lock
// that reading its command line waits for (so that read is bounded natively).
import * as fs from "node:fs";
import * as path from "node:path";

import { LINEAGE_LIMITS } from "../../api/lineageLimits";
import { nativeBinding } from "../../native/binding";

export interface ProcProcess {
  pid: number;
  ppid: number;
  /** Clock ticks (USER_HZ, 100 per second on Linux's /proc ABI) after boot. */
  startTicks: number;
  uid: number;
  gid: number;
  exe: string;
  argv: string[];
  /** Identity of its pid namespace ("pid:[4026531836]"), "" when unreadable. */
  pidNamespace: string;
  /** Its pid in its own (innermost) pid namespace: 1 for a container's init; 0 when unknown. */
  nsPid: number;
}

/** USER_HZ: /proc reports times in these units on every architecture Linux runs on. */
export const PROC_TICKS_PER_SECOND = 100;
const MAX_CMDLINE_BYTES = 4096;

/** undefined when the process is gone (or its stat is not what the kernel writes). */
export function readProcProcess(procDir: string, pid: number): ProcProcess | undefined {
  const dir = path.join(procDir, String(pid));
  const stat = readSmall(path.join(dir, "stat"), 4096);
  if (stat === undefined) return undefined;
  // "pid (comm) state ppid ...": comm is the container's choice and may hold ") ".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ppid = Number(fields[1]);
  const startTicks = Number(fields[19]);
  if (!Number.isSafeInteger(ppid) || !Number.isSafeInteger(startTicks)) return undefined;
  const exe = readLink(path.join(dir, "exe"));
  const pidNamespace = readLink(path.join(dir, "ns", "pid"));
  // An exiting process (a zombie, or one that already let go of its memory and namespaces,
  // as a refused exec's child does at once) no longer tells where it ran: taken for gone,
  // not for a process outside the container.
  if (fields[0] === "Z" || fields[0] === "X" || (exe === "" && pidNamespace === "")) return undefined;
  const status = readSmall(path.join(dir, "status"), 16384) ?? "";
  return {
    pid,
    ppid,
    startTicks,
    uid: idOf(status, "Uid"),
    gid: idOf(status, "Gid"),
    exe,
    // Not read in time: the process held its mmap lock (threads remapping memory), which
    // would stall this thread for as long as it likes. Its arguments are then unknown.
    argv: argvOf(nativeBinding().readProcFileBounded(path.join(dir, "cmdline"), MAX_CMDLINE_BYTES) ?? Buffer.alloc(0)),
    pidNamespace,
    nsPid: Number(/^NSpid:.*?(\d+)\s*$/m.exec(status)?.[1] ?? 0),
  };
}

/** The real id of a "Uid:" or "Gid:" line (real, effective, saved, fs), -1 when absent. */
function idOf(status: string, key: "Uid" | "Gid"): number {
  const match = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status);
  return match ? Number(match[1]) : -1;
}

/** NUL-separated arguments, bounded in count and length, control characters escaped. */
export function argvOf(bytes: Buffer): string[] {
  const argv: string[] = [];
  let total = 0;
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return argv;
  for (const raw of bytes.subarray(0, end).toString("utf8").split("\0")) {
    if (argv.length === LINEAGE_LIMITS.argc || total >= LINEAGE_LIMITS.argvLength) {
      argv.push("…");
      break;
    }
    let arg = escapeControls(raw);
    const room = Math.min(LINEAGE_LIMITS.argLength, LINEAGE_LIMITS.argvLength - total);
    if (arg.length > room) arg = arg.slice(0, room - 1) + "…";
    argv.push(arg);
    total += arg.length;
  }
  return argv;
}

/** Terminals and logs show C0/C1 controls as \xNN, never as what they do. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function readLink(p: string): string {
  try {
    return escapeControls(fs.readlinkSync(p)).slice(0, 4096);
  } catch {
    return "";
  }
}

function readSmall(p: string, max: number): string | undefined {
  return readBytes(p, max)?.toString("utf8");
}

/** At most max bytes from the start of a /proc file; undefined when it cannot be opened. */
function readBytes(p: string, max: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(max);
    let got = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, got, max - got, null);
      if (n <= 0) break;
      got += n;
      if (got === max) break;
    }
    return buffer.subarray(0, got);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}
