// `driftguard agent` as a child process, for end-to-end tests and benchmarks: its JSON log
// lines collected, waited for, and the process stopped by its own pid.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

import type { DriftFinding } from "../../src/report/DriftFinding";

export const CLI = path.resolve(__dirname, "..", "..", "src", "cli", "main.js");

export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  finding?: Finding;
  [key: string]: unknown;
}

/** The "drift" log line's finding: the agent's own type, as JSON. */
export type Finding = DriftFinding;

export class AgentProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ level: 0, msg: `unparsed: ${line}` });
      }
      for (const wake of this.waiters) wake();
    });
    child.stderr!.on("data", (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Starts the agent and waits for "agent started" (or its exit, which throws). Logs at info level at least. */
  static async start(args: string[], env: NodeJS.ProcessEnv = {}, wrapper: string[] = []): Promise<AgentProcess> {
    // wrapper: a command line that runs the agent's (e.g. unshare into a mount namespace).
    const [command, ...argv] = [...wrapper, process.execPath, CLI, "agent", ...args];
    const child = spawn(command, argv, {
      // A free port for the metrics endpoint: several agents may run at once (flags win over env).
      env: { ...process.env, DRIFTGUARD_LOG_LEVEL: "debug", DRIFTGUARD_METRICS_ADDRESS: "127.0.0.1:0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const agent = new AgentProcess(child);
    try {
      await agent.waitFor((l) => l.msg === "agent started", 30000);
    } catch (error) {
      await agent.stop(2000); // never leave a half-started agent behind
      throw error;
    }
    return agent;
  }

  get pid(): number {
    return this.child.pid!;
  }

  findings(): Finding[] {
    return this.lines.filter((l) => l.msg === "drift" && l.finding).map((l) => l.finding!);
  }

  /** Waits until a log line matches; throws with the log tail on timeout or exit. */
  async waitFor(match: (line: LogLine) => boolean, timeoutMs = 10000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    let exitedEarly = false;
    void this.exited.then(() => {
      exitedEarly = true;
      for (const wake of this.waiters) wake();
    });
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (exitedEarly || Date.now() > deadline) {
        const tail = this.lines
          .slice(-15)
          .map((l) => JSON.stringify(l))
          .join("\n");
        throw new Error(
          `agent ${exitedEarly ? "exited" : "timed out"} waiting; log tail:\n${tail}\nstderr: ${this.stderr.join("")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(10, deadline - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  /** The "posture" log lines' findings (a container's posture properties, judged at attach). */
  postureFindings(): Finding[] {
    return this.lines.filter((l) => l.msg === "posture" && l.finding).map((l) => l.finding!);
  }

  /** Waits for n findings in total and returns them all. */
  async waitForFindings(n: number, timeoutMs = 10000): Promise<Finding[]> {
    await this.waitFor(() => this.findings().length >= n, timeoutMs);
    return this.findings();
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited within timeoutMs. */
  async stop(timeoutMs = 10000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
