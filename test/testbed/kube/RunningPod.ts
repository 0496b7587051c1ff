// One pod on a KubeNode, run as the kubelet runs it: volumes set up under the pods dir,
// RunPodSandbox, then per container CreateContainer + StartContainer with its mounts and
// env, and its probes polled. Tests exec in it, read its containers' logs (CRI log
// files), restart a container or delete the pod; a rollout replaces a pod with a new one.
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import { errorMessage } from "../../../src/util/errorMessage";
import type { KubeNode } from "./KubeNode";
import { containerConfig, sandboxConfig, type ContainerMount, type PodIdentity } from "./kubeletPod";
import { PodVolumes, type VolumeSources } from "./podVolumes";
import type { Container, HttpProbe, Pod } from "./podTypes";
import { PortMap } from "./PortMap";
import { Prober } from "./Prober";
import { removePodCgroups } from "./podCgroups";

export interface PodContainer {
  spec: Container;
  id: string;
  attempt: number;
  prober: Prober;
}

/** What the node gives a pod beyond its manifest: where env values and volumes point here. */
export interface PodEnvironment extends VolumeSources {
  nodeName: string;
  /** Env values the node rewrites (e.g. a node path to its stand-in); undefined: as is. */
  rewriteEnv?: (name: string, value: string) => string | undefined;
  /** Env the node adds to every container (what this machine needs beyond the manifest). */
  addedEnv?: Record<string, string>;
}

const READY_TIMEOUT_MS = 120_000;

export class RunningPod {
  readonly containers = new Map<string, PodContainer>();
  /** The pod's own ports (its "pod IP" is 127.0.0.1 here). */
  readonly ports: PortMap;
  private sandboxId = "";
  private deleted = false;

  private constructor(
    readonly node: KubeNode,
    readonly pod: Pod,
    readonly id: PodIdentity,
    readonly volumes: PodVolumes,
    private readonly environment: PodEnvironment,
  ) {
    this.ports = new PortMap(node.services);
  }

  static async start(node: KubeNode, pod: Pod, environment: PodEnvironment): Promise<RunningPod> {
    const uid = randomUUID();
    const { name, namespace } = pod.metadata;
    const id = { uid, logDirectory: path.join(node.logsDir, `${namespace}_${name}_${uid}`) };
    const running = new RunningPod(node, pod, id, new PodVolumes(path.join(node.podsDir, uid)), environment);
    try {
      running.volumes.setUp(pod, uid, environment);
      fs.mkdirSync(id.logDirectory, { recursive: true });
      for (const container of pod.spec.containers) {
        for (const port of container.ports ?? []) await running.ports.declare(port.containerPort);
      }
      running.sandboxId = await node.cri.runPodSandbox(sandboxConfig(pod, id));
      node.sandboxes.set(running.sandboxId, uid);
      for (const container of pod.spec.containers) await running.startContainer(container, 0);
    } catch (error) {
      await running.delete().catch(() => undefined);
      throw error;
    }
    return running;
  }

  get uid(): string {
    return this.id.uid;
  }

  private async startContainer(spec: Container, attempt: number): Promise<void> {
    const env: Record<string, string> = { ...this.environment.addedEnv };
    for (const variable of spec.env ?? []) {
      const field = variable.valueFrom?.fieldRef?.fieldPath;
      const value = field === "spec.nodeName" ? this.environment.nodeName : (variable.value ?? "");
      env[variable.name] = this.ports.rewriteAddress(this.environment.rewriteEnv?.(variable.name, value) ?? value);
    }
    const mounts: ContainerMount[] = (spec.volumeMounts ?? []).map((m) => {
      const volume = this.volumes.volumes.get(m.name);
      if (!volume) throw new Error(`container ${spec.name}: no volume ${m.name}`);
      return { containerPath: m.mountPath, hostPath: volume.hostPath, readonly: m.readOnly === true };
    });
    mounts.push(
      { containerPath: "/etc/hosts", hostPath: this.volumes.etcHosts, readonly: false },
      {
        containerPath: "/dev/termination-log",
        hostPath: this.volumes.terminationLog(spec.name, attempt),
        readonly: false,
      },
    );
    const config = containerConfig(this.pod, spec, this.id, env, mounts, attempt);
    const id = await this.node.cri.createContainer(this.sandboxId, config, sandboxConfig(this.pod, this.id));
    await this.node.cri.startContainer(id);
    const prober = new Prober((probe) => this.probeUrl(spec, probe), {
      startup: spec.startupProbe,
      readiness: spec.readinessProbe,
      liveness: spec.livenessProbe,
    });
    prober.start();
    this.containers.get(spec.name)?.prober.stop();
    this.containers.set(spec.name, { spec, id, attempt, prober });
  }

  private probeUrl(spec: Container, probe: HttpProbe): string {
    return this.url(spec.name, probe.httpGet.port, probe.httpGet.path);
  }

  /** Where the container's port (by name or number) answers here, e.g. url("agent", "metrics", "/readyz"). */
  url(container: string, port: number | string, urlPath: string): string {
    const spec = this.pod.spec.containers.find((c) => c.name === container);
    const declared = typeof port === "number" ? port : spec?.ports?.find((p) => p.name === port)?.containerPort;
    if (declared === undefined) throw new Error(`container ${container}: port ${port} is not declared`);
    return `http://127.0.0.1:${this.ports.portOf(declared)}${urlPath}`;
  }

  container(name: string): PodContainer {
    const found = this.containers.get(name);
    if (!found) throw new Error(`pod ${this.pod.metadata.name} has no container ${name}`);
    return found;
  }

  /** Waits until every container's readiness probe passed (as the kubelet reports Ready). */
  async waitReady(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    for (const [name, container] of this.containers) {
      try {
        await container.prober.waitReady(timeoutMs);
      } catch (error) {
        const status = await this.node.cri.containerStatus(container.id).catch(() => undefined);
        const tail = this.logLines(name).slice(-15).join("\n");
        throw new Error(
          `pod ${this.pod.metadata.name}, container ${name} (state ${status?.state}, exit ${status?.exitCode}): ${errorMessage(error)}\nlog tail:\n${tail}`,
        );
      }
    }
  }

  /** `kubectl exec`: ExecSync in the container. */
  exec(container: string, cmd: string[], timeoutSeconds = 30): ReturnType<KubeNode["cri"]["execSync"]> {
    return this.node.cri.execSync(this.container(container).id, cmd, timeoutSeconds);
  }

  /** The container's init process on the host (from the CRI's verbose status). */
  async pid(container: string): Promise<number> {
    return (await this.node.cri.containerStatus(this.container(container).id)).pid;
  }

  /** The container's current log lines (the CRI log file: "<time> <stream> <F|P> <line>"). */
  logLines(container: string): string[] {
    const { attempt } = this.container(container);
    const file = path.join(this.id.logDirectory, container, `${attempt}.log`);
    if (!fs.existsSync(file)) return [];
    const lines: string[] = [];
    let partial = "";
    for (const raw of fs.readFileSync(file, "utf8").split("\n")) {
      const match = /^\S+ (?:stdout|stderr) ([FP]) (.*)$/.exec(raw);
      if (!match) continue;
      partial += match[2];
      if (match[1] === "F") {
        lines.push(partial);
        partial = "";
      }
    }
    return lines;
  }

  /** What the kubelet does when a container must restart: stop, remove, create the next attempt. */
  async restartContainer(name: string, gracePeriodSeconds = 30): Promise<void> {
    const old = this.container(name);
    old.prober.stop();
    await this.node.cri.stopContainer(old.id, gracePeriodSeconds);
    await this.node.cri.removeContainer(old.id);
    await this.startContainer(old.spec, old.attempt + 1);
  }

  /** Deletes the pod: containers stopped within the grace period, sandbox and volumes removed. */
  async delete(gracePeriodSeconds = this.pod.spec.terminationGracePeriodSeconds ?? 30): Promise<void> {
    if (this.deleted) return;
    this.deleted = true;
    for (const container of this.containers.values()) {
      container.prober.stop();
      await this.node.cri.stopContainer(container.id, gracePeriodSeconds);
    }
    if (this.sandboxId) {
      await this.node.cri.stopPodSandbox(this.sandboxId);
      await this.node.cri.removePodSandbox(this.sandboxId);
      this.node.sandboxes.delete(this.sandboxId);
    }
    removePodCgroups(this.uid);
    this.volumes.tearDown();
  }
}
