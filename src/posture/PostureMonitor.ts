// Follows containers as the attacher does (a ContainerFollower): at attach, for a restarted
// task and after a policy change, judges the container's posture, reports each property
// its policy does not allow once per container (log line, collector, …), and stops the
// task when the policy's posture.enforce forbids it. Runs on the agent's JS thread.
import type { ContainerFollower } from "../agent/ContainerAttacher";
import type { Logger } from "../log/logger";
import type { NativePolicy } from "../native/binding";
import { posturePolicyOf } from "../policy/posturePolicy";
import type { PolicySource } from "../policy/PolicySource";
import type { DriftFinding } from "../report/DriftFinding";
import { podRoleOf } from "../runtime/podRole";
import type { ContainerRecord } from "../runtime/types";
import { errorMessage } from "../util/errorMessage";
import { applyPosturePolicy } from "./applyPosturePolicy";
import { judgePosture, type PostureHost, type PostureProperty, type ProcessFacts } from "./judgePosture";
import { postureFinding } from "./postureFinding";

export interface PostureMonitorDeps {
  policies: PolicySource;
  host: PostureHost;
  /** What the container's init process tells (processFacts.ts), undefined when unreadable. */
  processFacts: (pid: number) => ProcessFacts | undefined;
  /** Kills the container's task (ContainerSource.stopTask). */
  stopTask: (record: ContainerRecord) => Promise<void>;
  /** Where findings go (the agent's sinks). */
  report: (finding: DriftFinding) => void;
  node: string;
  logger: Logger;
}

/** Containers whose reported properties are remembered after they exit (a restarted task is the same container). */
const REMEMBERED = 50_000;

export class PostureMonitor implements ContainerFollower {
  /** Per container: its task's pid and what its posture is (judged once per task). */
  private readonly judged = new Map<string, { pid: number; properties: PostureProperty[] }>();
  /** Per container: the properties reported (reason, key, verdict), so each is reported once. */
  private readonly reported = new Map<string, Set<string>>();
  private readonly stopped = new Set<string>();

  constructor(private readonly deps: PostureMonitorDeps) {}

  attach(key: string, record: ContainerRecord, policy: NativePolicy): void {
    // A CRI sandbox (pause) is the runtime's: its pod's host namespaces show on the app containers.
    if (podRoleOf(record) === "sandbox" || !record.security) return;
    const { deps } = this;
    const posture = deps.policies.postureFor?.(record) ?? posturePolicyOf({ name: policy.name, mode: policy.mode });
    const properties = this.judge(key, record);
    const outcome = applyPosturePolicy(properties, posture);
    const log = deps.logger.child({ container: record.id, namespace: record.namespace, k8s: record.k8s });
    if (outcome.allowed.length > 0) {
      const allowed = outcome.allowed.map((a) => ({ property: a.exception.property, reason: a.exception.reason }));
      log.debug({ policy: posture.name, allowed }, "posture allowed by policy");
    }
    const stop = posture.stop && outcome.reported.length > 0;
    const seen = this.reportedOf(key);
    for (const property of outcome.reported) {
      const once = [property.reason, property.key, stop ? "blocked" : "audited"].join("\0");
      if (seen.has(once)) continue;
      seen.add(once);
      deps.report(postureFinding(property, record, posture, stop, deps.node));
    }
    const task = `${key}\0${record.pid}`;
    if (!stop || this.stopped.has(task)) return;
    this.stopped.add(task);
    log.warn(
      { policy: posture.name, properties: outcome.reported.map((p) => p.reason) },
      "container stopped: its policy forbids its posture (posture.enforce)",
    );
    deps
      .stopTask(record)
      .catch((error: unknown) =>
        log.error({ err: errorMessage(error) }, "could not stop the container (Tasks.Kill); its posture is reported"),
      );
  }

  detach(key: string): void {
    this.judged.delete(key);
    for (const task of this.stopped) if (task.startsWith(`${key}\0`)) this.stopped.delete(task);
  }

  private judge(key: string, record: ContainerRecord): PostureProperty[] {
    const known = this.judged.get(key);
    if (known && known.pid === record.pid) return known.properties;
    const security = record.security!;
    if (security.problems.length > 0) {
      this.deps.logger.warn(
        { container: record.id, problems: security.problems },
        "spec fields unreadable for posture",
      );
    }
    const properties = judgePosture({
      spec: security,
      mounts: record.mounts,
      process: this.deps.processFacts(record.pid),
      host: this.deps.host,
      podUid: record.k8s.podUid,
    });
    this.judged.set(key, { pid: record.pid, properties });
    return properties;
  }

  private reportedOf(key: string): Set<string> {
    let seen = this.reported.get(key);
    if (seen) return seen;
    if (this.reported.size >= REMEMBERED) this.reported.delete(this.reported.keys().next().value!);
    this.reported.set(key, (seen = new Set()));
    return seen;
  }
}
