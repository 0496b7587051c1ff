// A container's HTTP probes run as the kubelet's prober runs them: the startup probe
// first (every periodSeconds, failureThreshold failures give up), then readiness and
// liveness each on its own period; a probe succeeds on a 2xx/3xx answer within
// timeoutSeconds. Results are kept, for tests to wait on and to read.
import * as http from "node:http";

import type { HttpProbe } from "./podTypes";

export interface ProbeResult {
  probe: "startup" | "readiness" | "liveness";
  at: number;
  ok: boolean;
  detail: string;
}

export class Prober {
  readonly results: ProbeResult[] = [];
  ready = false;
  started = false;
  /** Set when the startup or liveness probe failed failureThreshold times (the kubelet would restart). */
  failed?: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly url: (probe: HttpProbe) => string,
    private readonly probes: { startup?: HttpProbe; readiness?: HttpProbe; liveness?: HttpProbe },
  ) {}

  start(): void {
    if (this.probes.startup) this.loop("startup", this.probes.startup);
    else this.afterStartup();
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private afterStartup(): void {
    this.started = true;
    if (this.probes.readiness) this.loop("readiness", this.probes.readiness);
    else this.ready = true;
    if (this.probes.liveness) this.loop("liveness", this.probes.liveness);
  }

  private loop(kind: ProbeResult["probe"], probe: HttpProbe): void {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const threshold = probe.failureThreshold ?? 3;
    let failures = 0;
    const run = async (): Promise<void> => {
      if (this.stopped) return;
      const result = await this.once(kind, probe);
      failures = result.ok ? 0 : failures + 1;
      if (kind === "readiness" && (result.ok || failures >= threshold)) this.ready = result.ok;
      if (kind === "startup" && result.ok) return this.afterStartup();
      if (kind !== "readiness" && failures >= threshold) {
        this.failed = `${kind} probe failed ${failures} times: ${result.detail}`;
        return;
      }
      this.schedule(run, period);
    };
    this.schedule(run, (probe.initialDelaySeconds ?? 0) * 1000);
  }

  private schedule(run: () => Promise<void>, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }

  private once(kind: ProbeResult["probe"], probe: HttpProbe): Promise<ProbeResult> {
    const timeout = (probe.timeoutSeconds ?? 1) * 1000;
    return new Promise((resolve) => {
      const done = (ok: boolean, detail: string): void => {
        const result = { probe: kind, at: Date.now(), ok, detail };
        this.results.push(result);
        resolve(result);
      };
      const request = http.get(this.url(probe), { timeout }, (response) => {
        response.resume();
        const code = response.statusCode ?? 0;
        done(code >= 200 && code < 400, `HTTP ${code}`);
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeout} ms`)));
      request.on("error", (error) => done(false, error.message));
    });
  }

  /** Resolves once ready; rejects when a startup/liveness probe gave up or on timeout. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ready) {
      if (this.failed) throw new Error(this.failed);
      if (Date.now() > deadline) {
        throw new Error(`not ready after ${timeoutMs} ms; probes: ${JSON.stringify(this.results.slice(-5))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
