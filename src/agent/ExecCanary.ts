// The exec canary: proof, not presumption, that the exec guard refuses. At start and then
// periodically the agent execs a program it staged on a tmpfs of its own that the guard
// marks as the canary filesystem (every exec from it refused, no finding), and one of its
// own image's programs, which must run. /readyz, a metric and the start-up log say what the
// last check saw; a node whose agent cannot refuse is never reported ready.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import type { Logger } from "../log/logger";
import type { NativeExecGuard } from "../native/binding";
import { errorMessage } from "../util/errorMessage";
import type { FilesystemMarks } from "./FilesystemMarks";

/** A program every agent image and node has: the canary's copy and the allowed exec. */
const PROGRAM = "/bin/true";

export interface CanaryResult {
  ok: boolean;
  /** What the last check saw, for /readyz and the log. */
  detail: string;
  atMs: number;
}

export class ExecCanary {
  private last?: CanaryResult;
  private timer?: NodeJS.Timeout;
  private mounted = false;
  private inFlight?: Promise<CanaryResult>;

  constructor(
    private readonly dir: string,
    private readonly deadlineMs: number,
    private readonly logger: Logger,
  ) {}

  /** Mounts the canary tmpfs (in the agent's mount namespace). [before anything is marked] */
  /**
   * Mounts the canary tmpfs (in the agent's mount namespace). Synchronous, so that a stop
   * cannot come between it and the guard's start. [before anything is marked]
   */
  mount(): void {
    this.sweepStale();
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    runSync("mount", ["-t", "tmpfs", "-o", "size=4m,mode=0700", "driftguard-canary", this.dir]);
    this.mounted = true;
  }

  /**
   * Canary mounts of agents gone without unmounting: an agent run on the host and killed
   * (SIGKILL) leaves its tmpfs there; in a pod it dies with the container's mount namespace.
   */
  private sweepStale(): void {
    const parent = path.dirname(this.dir);
    const names = fs.existsSync(parent) ? fs.readdirSync(parent) : [];
    for (const name of names) {
      const pid = /^canary-(\d+)$/.exec(name)?.[1];
      if (pid === undefined || fs.existsSync(`/proc/${pid}`)) continue; // its agent runs (or the pid was reused)
      const stale = path.join(parent, name);
      try {
        runSync("umount", ["-l", stale]);
      } catch {
        // not mounted here: only the directory is left
      }
      try {
        fs.rmdirSync(stale);
        this.logger.info({ dir: stale }, "stale canary filesystem removed");
      } catch (error) {
        this.logger.warn({ dir: stale, err: error }, "stale canary directory not removed");
      }
    }
  }

  /** Marks it as the canary filesystem and stages the program there. [before the guard starts] */
  stage(guard: NativeExecGuard, marks: FilesystemMarks): void {
    // Every exec from the canary's filesystem is refused without a finding: it must be the
    // agent's own tmpfs, never the filesystem it was mounted on.
    const dev = fs.statSync(this.dir).dev;
    if (dev === fs.statSync(path.dirname(this.dir)).dev) {
      throw new Error(`exec canary: ${this.dir} is not a filesystem of its own (its mount is gone); not staging it`);
    }
    marks.markFilesystem(this.dir, false);
    guard.apply({ canaryDev: dev });
    fs.copyFileSync(PROGRAM, this.program);
    fs.chmodSync(this.program, 0o755);
  }

  private get program(): string {
    return path.join(this.dir, "drift");
  }

  /** Checks now, then every intervalMs. */
  async start(intervalMs: number): Promise<CanaryResult> {
    const first = await this.check();
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
    return first;
  }

  result(): CanaryResult | undefined {
    return this.last;
  }

  /** One check at a time: a slow one is joined, not doubled. */
  check(): Promise<CanaryResult> {
    this.inFlight ??= this.checkOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async checkOnce(): Promise<CanaryResult> {
    const timeoutMs = this.deadlineMs + 5000; // an exec held past the deadline is answered then
    const drift = await exec(this.program, timeoutMs);
    const image = await exec(PROGRAM, timeoutMs);
    let detail = "a staged drift exec refused, an image program ran";
    let ok = false;
    if (drift === "ran") detail = "a staged drift exec ran: the exec guard does not refuse";
    else if (drift !== "EPERM" && drift !== "EACCES") detail = `the staged drift exec failed otherwise: ${drift}`;
    else if (image !== "ran") detail = `${PROGRAM} did not run: ${image}`;
    else ok = true;
    const changed = this.last?.ok !== ok;
    this.last = { ok, detail, atMs: Date.now() };
    if (changed) this.logger[ok ? "info" : "error"]({ ok, detail }, ok ? "exec canary passed" : "exec canary failed");
    return this.last;
  }

  /** Stops checking and unmounts the canary filesystem (its mark goes with it). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (!this.mounted) return;
    this.mounted = false;
    await run("umount", [this.dir]).catch((error: unknown) =>
      this.logger.warn({ dir: this.dir, err: error }, "canary filesystem not unmounted"),
    );
    try {
      fs.rmdirSync(this.dir);
    } catch (error) {
      this.logger.warn({ dir: this.dir, err: error }, "canary directory not removed");
    }
  }
}

/** "ran", or the exec's error code, or what else happened. */
function exec(program: string, timeoutMs: number): Promise<string> {
  const outcome = (error: unknown): string => {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === "string" ? code : errorMessage(error);
  };
  return new Promise((resolve) => {
    try {
      execFile(program, [], { timeout: timeoutMs }, (error) => resolve(error ? outcome(error) : "ran"));
    } catch (error) {
      resolve(outcome(error)); // a refused exec (EPERM) throws from spawn itself
    }
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(" ")}: ${stderr.trim() || errorMessage(error)}`)) : resolve(),
    );
  });
}

function runSync(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`${command} ${args.join(" ")}: ${stderr || errorMessage(error)}`);
  }
}
