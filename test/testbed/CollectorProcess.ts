// `driftguard collector` as a child process: started, waited for, stopped or killed by pid.
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";

import { CLI } from "./AgentProcess";

export class CollectorProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = "";

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ msg: `unparsed: ${line}` });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Starts the collector and waits for "collector started". */
  static async start(args: string[]): Promise<CollectorProcess> {
    // Free ports for the page and the metrics: several collectors may run at once (flags win).
    const env = { ...process.env, DRIFTGUARD_WEB_LISTEN: "127.0.0.1:0", DRIFTGUARD_METRICS_ADDRESS: "127.0.0.1:0" };
    const child = spawn(process.execPath, [CLI, "collector", ...args], { stdio: ["ignore", "pipe", "pipe"], env });
    const collector = new CollectorProcess(child);
    const deadline = Date.now() + 20_000;
    let exited = false;
    void collector.exited.then(() => (exited = true));
    while (!collector.lines.some((l) => l.msg === "collector started")) {
      if (exited || Date.now() > deadline) {
        throw new Error(`collector did not start: ${collector.stderr}\n${JSON.stringify(collector.lines.slice(-5))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return collector;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The gRPC port it listens on (from its "collector started" line; --listen HOST:0 picks one). */
  get port(): number {
    return Number(this.lines.find((l) => l.msg === "collector started")?.port);
  }

  /** SIGTERM (graceful) or SIGKILL (a crash); resolves when it exited. */
  async stop(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
