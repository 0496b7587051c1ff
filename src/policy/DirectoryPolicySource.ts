// Policies from a directory (--policy-dir), usually a mounted ConfigMap, watched with chokidar:
// a change applies within a debounce (≤ 200 ms) plus one load; a set with errors is logged and
// rejected (the last good set stays). A timer flips audit to enforce at enforceAfter.
import * as fs from "node:fs";

import type { FSWatcher } from "chokidar" with { "resolution-mode": "import" };
import type { Logger } from "../log/logger";
import type { PolicyMode } from "../domain/verdict";
import type { NativePolicy } from "../native/binding";
import type { ContainerRecord } from "../runtime/types";
import { FirstAppliedStore } from "./FirstAppliedStore";
import { errorsOf, formatIssue, type LoadResult, type PolicyIssue } from "./issues";
import { loadPolicyDir } from "./loadPolicies";
import { SandboxLabelIndex } from "./podLabels";
import type { PolicySource } from "./PolicySource";
import { lapsedExceptions, nextExpiry } from "./exceptionExpiry";
import { posturePolicyOf, type PosturePolicy } from "./posturePolicy";
import { resolvePolicy, type Resolution } from "./resolve";
import { toNativePolicy } from "./toNativePolicy";
import type { DriftPolicy, Workload } from "./types";

export interface DirectoryPolicySourceOptions {
  dir: string;
  /** Mode of containers no policy matches (the agent's --mode). */
  defaultMode: PolicyMode;
  /** Where enforceAfter clocks are kept across restarts. */
  stateDir: string;
  /** kubelet's pods dir, to tell volume kinds from mount sources. */
  kubeletPodsDir: string;
  logger: Logger;
  /** Quiet time after the last file event before loading. Default 100. */
  debounceMs?: number;
  /** A reload happens at most this long after the first event of a burst. Default 200. */
  maxDelayMs?: number;
  /** Periodic reload in case an event was missed; 0 turns it off. Default 30000. */
  resyncMs?: number;
}

/** Counters for metrics. */
export interface PolicySourceStats {
  loads: number;
  /** Loads with errors, whose set was not applied (the last good one stayed). */
  rejectedLoads: number;
  /** Errors and warnings of the last load. */
  lastErrors: number;
  lastWarnings: number;
  policies: number;
  /** Times a policy reached its enforceAfter. */
  enforceAfterFlips: number;
}

export function workloadOf(container: ContainerRecord, podLabels: Record<string, string>): Workload {
  return {
    namespace: container.k8s.namespace,
    podLabels,
    image: container.image,
    imageDigest: container.imageDigest,
    container: container.k8s.container,
  };
}

export class DirectoryPolicySource implements PolicySource {
  private policies: DriftPolicy[] = [];
  private fingerprint: string | undefined;
  private issuesShown = "";
  private readonly listeners: (() => void)[] = [];
  private readonly labels = new SandboxLabelIndex();
  private readonly firstApplied: FirstAppliedStore;
  private readonly logger: Logger;
  private watcher?: FSWatcher;
  private debounce?: NodeJS.Timeout;
  private burstSince = 0;
  private flipTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private missingTimer?: NodeJS.Timeout;
  private notifyPending = false;
  private closed = false;
  private readonly counters: PolicySourceStats = {
    loads: 0,
    rejectedLoads: 0,
    lastErrors: 0,
    lastWarnings: 0,
    policies: 0,
    enforceAfterFlips: 0,
  };

  constructor(private readonly options: DirectoryPolicySourceOptions) {
    this.logger = options.logger;
    this.firstApplied = new FirstAppliedStore(options.stateDir, options.logger);
  }

  /** Loads the directory and starts watching it; resolves with the first load's result. */
  async start(): Promise<LoadResult> {
    await this.watch();
    // Loaded after the watch is up: a change made meanwhile is in this load or raises an event.
    const result = this.reload("start");
    const resyncMs = this.options.resyncMs ?? 30000;
    if (resyncMs > 0) this.resyncTimer = setInterval(() => this.reload("resync"), resyncMs).unref();
    return result;
  }

  private async watch(): Promise<void> {
    if (this.closed) return;
    // chokidar does not notice a directory created after the watch began: until it exists,
    // look for it every second, then watch it.
    if (!fs.existsSync(this.options.dir)) {
      this.missingTimer ??= setInterval(() => {
        if (!fs.existsSync(this.options.dir) || this.closed) return;
        clearInterval(this.missingTimer);
        this.missingTimer = undefined;
        void this.watcher?.close().then(() => this.watch().then(() => this.scheduleReload()));
      }, 1000).unref();
    }
    // chokidar 5 is an ES module: imported, not required.
    const { watch } = await import("chokidar");
    const watcher = (this.watcher = watch(this.options.dir, {
      ignoreInitial: true,
      // Depth 1 sees files edited inside a ConfigMap's ..<timestamp> dir too.
      depth: 1,
      followSymlinks: false,
    }));
    watcher.on("all", () => this.scheduleReload());
    // kubelet renames a new ..data symlink over the old one: chokidar sees the same
    // symlink before and after and may report nothing but the raw inotify event.
    watcher.on("raw", () => this.scheduleReload());
    watcher.on("error", (error) => this.logger.error({ dir: this.options.dir, err: error }, "policy dir watch failed"));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
    if (this.closed) await watcher.close(); // closed while starting
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.debounce);
    clearTimeout(this.flipTimer);
    clearInterval(this.resyncTimer);
    clearInterval(this.missingTimer);
    await this.watcher?.close();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  denyPaths(): string[] {
    return [...new Set(this.policies.flatMap((p) => p.deny.map((d) => d.path)))];
  }

  policyFor(container: ContainerRecord): NativePolicy {
    // A sandbox brings its pod's labels: the pod's other containers may resolve differently.
    if (this.labels.observe(container)) this.notifySoon();
    const resolution = this.resolve(container);
    if (resolution.policy && this.firstApplied.record(resolution.name, Date.now())) this.scheduleFlip();
    return toNativePolicy(resolution, container.mounts, this.options.kubeletPodsDir);
  }

  postureFor(container: ContainerRecord): PosturePolicy {
    return posturePolicyOf(this.resolve(container));
  }

  /** Which policy applies to a container and why (for logs and debugging). */
  resolve(container: ContainerRecord): Resolution {
    const workload = workloadOf(container, this.labels.labelsFor(container) ?? {});
    return resolvePolicy(workload, this.policies, {
      defaultMode: this.options.defaultMode,
      nowMs: Date.now(),
      firstAppliedMs: (name) => this.firstApplied.get(name),
    });
  }

  stats(): PolicySourceStats {
    return { ...this.counters, policies: this.policies.length };
  }

  private scheduleReload(): void {
    if (this.closed) return;
    const now = Date.now();
    if (!this.debounce) this.burstSince = now;
    clearTimeout(this.debounce);
    const { debounceMs = 100, maxDelayMs = 200 } = this.options;
    const delay = Math.max(0, Math.min(debounceMs, this.burstSince + maxDelayMs - now));
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.reload("change");
    }, delay);
  }

  private reload(trigger: string): LoadResult {
    const began = performance.now();
    const result = loadPolicyDir(this.options.dir);
    const errors = errorsOf(result).length;
    this.counters.loads++;
    this.counters.lastErrors = errors;
    this.counters.lastWarnings = result.issues.length - errors;
    this.showIssues(result.issues);
    if (errors > 0) {
      this.counters.rejectedLoads++;
      if (this.fingerprint !== undefined) {
        this.logger.error(
          { dir: this.options.dir, errors, inForce: this.policies.map((p) => p.name) },
          "policy set rejected; the last good set stays in force",
        );
        return result;
      }
      // Nothing loaded before: the valid documents are the best set there is.
      this.logger.error({ dir: this.options.dir, errors }, "policy set has errors; only its valid policies apply");
    }
    this.apply(result.policies, trigger, began);
    return result;
  }

  private apply(policies: DriftPolicy[], trigger: string, began: number): void {
    const fingerprint = JSON.stringify(policies.map(({ source: _source, ...rest }) => rest));
    const changed = fingerprint !== this.fingerprint;
    this.policies = policies; // sources (file:line) may have moved even when nothing else did
    this.fingerprint = fingerprint;
    if (!changed) return;
    this.notify();
    this.scheduleFlip();
    this.logger.info(
      {
        dir: this.options.dir,
        trigger,
        ms: Math.round(performance.now() - began),
        policies: policies.map((p) => ({ name: p.name, mode: p.mode, priority: p.priority, file: p.source.file })),
      },
      "policies applied",
    );
  }

  /** Logs each issue once: the same set seen again (a resync, an unrelated edit) is not repeated. */
  private showIssues(issues: PolicyIssue[]): void {
    const shown = issues.map(formatIssue).join("\n");
    if (shown === this.issuesShown) return;
    this.issuesShown = shown;
    for (const issue of issues) {
      const { severity, message, ...where } = issue;
      const fields = { ...where, problem: message };
      if (severity === "error") this.logger.error(fields, "policy error");
      else this.logger.warn(fields, "policy warning");
    }
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ err: error }, "policy change listener failed");
      }
    }
  }

  private notifySoon(): void {
    if (this.notifyPending) return;
    this.notifyPending = true;
    setImmediate(() => {
      this.notifyPending = false;
      if (!this.closed) this.notify();
    });
  }

  /** Arms one timer for the next enforceAfter or exception expiry still ahead. */
  private scheduleFlip(): void {
    clearTimeout(this.flipTimer);
    if (this.closed) return;
    const now = Date.now();
    const enforceAts = this.policies.map((p) => this.enforceAt(p)).filter((at) => at > now);
    const next = Math.min(nextExpiry(this.policies, now), ...enforceAts);
    if (!Number.isFinite(next)) return;
    this.flipTimer = setTimeout(
      () => {
        const reached = this.policies.filter((p) => {
          const at = this.enforceAt(p);
          return at > now && at <= Date.now();
        });
        if (reached.length > 0) {
          this.counters.enforceAfterFlips += reached.length;
          this.logger.info({ policies: reached.map((p) => p.name) }, "enforceAfter reached: audit turns into enforce");
        }
        const lapsed = lapsedExceptions(this.policies, now, Date.now());
        for (const e of lapsed)
          this.logger.warn(
            { policy: e.policy, exception: e.entry, reason: e.reason, expires: e.expires!.text },
            "exception expired",
          );
        if (reached.length > 0 || lapsed.length > 0) this.notify(); // every container's policy again
        this.scheduleFlip();
      },
      Math.min(next - now, 2 ** 31 - 1),
    ).unref();
  }

  private enforceAt(policy: DriftPolicy): number {
    const after = policy.enforceAfter;
    if (policy.mode !== "audit" || !after) return Infinity;
    if (after.kind === "date") return after.atMs;
    const first = this.firstApplied.get(policy.name);
    return first === undefined ? Infinity : first + after.ms;
  }
}
