// The chain from the process that called execve up to its container's init, or to the
// first process outside the container (the shim of a `runc exec` session, or runc
// itself). Read from /proc when the finding reaches the agent's JS thread, after the
// verdict was sent (never on the fanotify thread): an ancestor that exited meanwhile ends
// the chain (complete: false); a pid taken by a process started after the exec is not
// taken for the ancestor that had it.
import * as fs from "node:fs";
import * as path from "node:path";

import { LINEAGE_LIMITS } from "../../api/lineageLimits";
import type { LineageProcess, ProcessLineage } from "../../report/ProcessLineage";
import type { ContainerUsers } from "./containerUsers";
import { argvOf, PROC_TICKS_PER_SECOND, readProcProcess, type ProcProcess } from "./procProcess";

/** What the guard read of the exec'ing process before answering (its program before the exec). */
export interface ExecCaller {
  pid: number;
  /** Its parent then: where the chain goes on when the caller has exited (a forked child whose exec failed). */
  ppid: number;
  exe: string;
  /** Arguments joined by spaces, as the guard reports them. */
  cmdline: string;
  uid: number;
}

export interface LineageScope {
  procDir: string;
  /** Host pid of the container's init (the task's pid), 0 when unknown. */
  initPid: number;
  /** When the exec was decided (ms since the epoch). */
  execTimeMs: number;
}

// /proc start times are 10 ms ticks after a boot time known to ~10 ms: a process started
// later than this after the exec has a reused pid.
const START_SLACK_MS = 50;

export function readLineage(caller: ExecCaller, scope: LineageScope, users: ContainerUsers): ProcessLineage {
  const bootMs = bootTimeMs(scope.procDir);
  const root = path.join(scope.procDir, String(scope.initPid || caller.pid), "root");
  const startMs = (p: ProcProcess) => (bootMs ? Math.round(bootMs + (p.startTicks * 1000) / PROC_TICKS_PER_SECOND) : 0);
  const processes: LineageProcess[] = [];
  let containerNamespace = initNamespace(scope);
  let complete = false;
  let pid = caller.pid;
  for (let depth = 0; depth < LINEAGE_LIMITS.depth && pid > 0; depth++) {
    const p = readProcProcess(scope.procDir, pid);
    if (!p || (bootMs && startMs(p) > scope.execTimeMs + START_SLACK_MS)) {
      if (depth > 0) break;
      // The caller is gone (a child whose exec was refused exits at once): what the guard
      // read of it, then its parent as the guard saw it.
      processes.push(callerOnly(caller, users.nameOf(root, caller.uid)));
      pid = caller.ppid;
      if (!containerNamespace) break; // no init to tell the container's processes by
      continue;
    }
    if (depth === 0 && !containerNamespace) containerNamespace = p.pidNamespace;
    const inContainer = p.pidNamespace !== "" && p.pidNamespace === containerNamespace;
    const node: LineageProcess = {
      pid,
      exe: p.exe,
      argv: p.argv,
      uid: p.uid,
      gid: p.gid,
      user: inContainer ? users.nameOf(root, p.uid) : "",
      startMs: startMs(p),
      inContainer,
    };
    // The guard read the caller before the exec; an audited exec has replaced its program since.
    if (depth === 0 && p.exe !== caller.exe)
      Object.assign(node, { exe: caller.exe, argv: argvOf(Buffer.from(caller.cmdline)) });
    processes.push(node);
    if (!inContainer || pid === scope.initPid || (scope.initPid === 0 && p.nsPid === 1) || p.ppid === 0) {
      complete = true;
      break;
    }
    pid = p.ppid;
  }
  return { processes, execSession: isExecSession(processes, scope.initPid, complete), complete };
}

/**
 * An exec session: the chain leaves the container from a process that is not its init,
 * i.e. the outermost container process was started into the container by the runtime.
 */
function isExecSession(processes: LineageProcess[], initPid: number, complete: boolean): boolean {
  if (!complete || processes.length < 2) return false;
  const outside = processes[processes.length - 1];
  const entered = processes[processes.length - 2];
  return !outside.inContainer && entered.inContainer && entered.pid !== initPid;
}

function callerOnly(caller: ExecCaller, user: string): LineageProcess {
  const argv = argvOf(Buffer.from(caller.cmdline));
  return { pid: caller.pid, exe: caller.exe, argv, uid: caller.uid, gid: -1, user, startMs: 0, inContainer: true };
}

function initNamespace(scope: LineageScope): string {
  if (scope.initPid <= 0) return "";
  try {
    return fs.readlinkSync(path.join(scope.procDir, String(scope.initPid), "ns", "pid"));
  } catch {
    return "";
  }
}

/** The boot time as the wall clock sees it now (0 when /proc/uptime is unreadable). */
function bootTimeMs(procDir: string): number {
  try {
    const uptime = Number(fs.readFileSync(path.join(procDir, "uptime"), "utf8").split(" ")[0]);
    return Number.isFinite(uptime) ? Date.now() - uptime * 1000 : 0;
  } catch {
    return 0;
  }
}
