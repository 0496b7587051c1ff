// Follows containerd: emits `attach` for every container with a live task (at start and
// as tasks are created) and `detach` when the task exits or the container is deleted.
// Survives containerd restarts: reconnects with backoff and reconciles from a fresh list.
//
// Ordering: work for one container runs strictly in event order (a queue per container),
// so a slow attach can never land after the detach that followed it.
import { EventEmitter } from "node:events";

import type { Logger } from "../log/logger";
import { Backoff, type BackoffOptions } from "../util/backoff";
import { ContainerdClient, type ContainerdContainer, type EventSubscription } from "./ContainerdClient";
import { isInitProcess, type ContainerdEvent } from "./containerdEvents";
import { ContainerdError } from "./ContainerdError";
import { containerKey } from "./containerKey";
import { readContainerRecord } from "./containerRecord";
import { listLiveContainers } from "./liveContainers";
import type { ContainerRecord, RuntimeWatcherEvents } from "./types";
import { checkedNamespaces, eventFilters } from "./watchedNamespaces";
import { errorMessage } from "../util/errorMessage";

export interface RuntimeWatcherOptions {
  /** containerd socket: "unix:///run/containerd/containerd.sock" (default) or a plain path. */
  address?: string;
  /** containerd namespaces to watch, e.g. ["k8s.io"]. */
  namespaces: string[];
  logger: Logger;
  /** Deadline of each containerd call. Default 10 s. */
  callTimeoutMs?: number;
  /** Reconnect delays. Default 250 ms doubling to 5 s, with jitter. */
  reconnect?: BackoffOptions;
  /** A new client per connection. Default: a ContainerdClient on address with callTimeoutMs. */
  connect?: () => ContainerdClient;
}

type EventArgs<T> = { [K in keyof T]: T[K] extends (...args: infer A) => void ? A : never };

const SETTLE_SWEEP_MS = 1000;

export class RuntimeWatcher extends EventEmitter<EventArgs<RuntimeWatcherEvents>> {
  private readonly connect: () => ContainerdClient;
  private readonly namespaces: Set<string>;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly attached = new Map<string, ContainerRecord>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly chainCache = new Map<string, string[]>();
  /** Containers an event touched while a list was being reconciled: the event is newer. */
  private readonly touchedDuringSync = new Set<string>();
  private syncing = false;
  private reconciling: Promise<unknown> = Promise.resolve();
  private stopped = true;
  private loop?: Promise<void>;
  private subscription?: EventSubscription;
  private client?: ContainerdClient;
  /** Settles when stop() is called; every wait of the loop races against it. */
  private stopSignal: Promise<never> = Promise.resolve() as never;
  private signalStop?: () => void;

  constructor(options: RuntimeWatcherOptions) {
    super();
    const { address, callTimeoutMs } = options;
    this.connect = options.connect ?? (() => new ContainerdClient({ address, callTimeoutMs }));
    this.namespaces = checkedNamespaces(options.namespaces);
    this.logger = options.logger;
    this.backoff = new Backoff(options.reconnect);
  }

  /** Containers attached now. */
  records(): ContainerRecord[] {
    return [...this.attached.values()];
  }

  /**
   * Starts watching. Resolves once connected and every container with a live task was
   * attached (or when stop() is called first); while containerd is unreachable it keeps
   * retrying and emits `disconnected`.
   */
  start(): Promise<void> {
    if (!this.stopped) throw new Error("RuntimeWatcher: already started");
    this.stopped = false;
    this.stopSignal = new Promise<never>((_resolve, reject) => {
      this.signalStop = () => reject(new Error("runtime watcher stopped"));
    });
    this.stopSignal.catch(() => undefined);
    return new Promise((resolve) => {
      this.loop = this.run(resolve);
    });
  }

  /** Stops watching; no event is emitted after it resolves. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop?.();
    this.subscription?.cancel();
    await this.loop;
    this.loop = undefined;
  }

  private async run(started: () => void): Promise<void> {
    while (!this.stopped) {
      const client = (this.client = this.connect());
      let reason: Error;
      try {
        reason = await this.session(client, started);
      } catch (err) {
        reason = err instanceof Error ? err : new Error(String(err));
      } finally {
        this.subscription?.cancel();
        this.subscription = undefined;
        this.syncing = false;
        client.close();
      }
      if (this.stopped) break;
      const retryInMs = this.backoff.next();
      this.logger.warn({ err: reason.message, retryInMs }, "containerd connection lost or not available; retrying");
      this.emitSafe("disconnected", { error: reason.message, retryInMs });
      await this.pause(retryInMs);
    }
    started();
  }

  /** One connection: subscribe, list and reconcile, then follow events until the stream ends. */
  private async session(client: ContainerdClient, started: () => void): Promise<Error> {
    // Subscribe before listing so that no change falls between the list and the stream.
    // grpc-js sends queued calls in order once connected, so the Subscribe stream opens
    // before the list calls; containerd registers the subscriber as its handler starts.
    // Without containerd, both fail fast with UNAVAILABLE.
    const streamEnded = new Promise<ContainerdError>((resolve) => {
      this.subscription = client.subscribe(eventFilters(this.namespaces), {
        event: (event) => this.onEvent(event),
        malformed: (err, topic) =>
          this.logger.warn({ err: err.message, topic }, "undecodable containerd event ignored"),
        end: resolve,
      });
    });
    const failedEarly = streamEnded.then((err) => Promise.reject(err));
    failedEarly.catch(() => undefined); // observed below or after the list; never unhandled
    const containers = await this.untilStopped(Promise.race([this.reconcile(client), failedEarly]));
    this.backoff.reset();
    this.logger.info({ containers, namespaces: [...this.namespaces] }, "connected to containerd");
    this.emitSafe("connected", { containers });
    started();
    // containerd gives no sign that the subscriber is registered before the list ran; a
    // second list a moment later catches a change that raced the first one.
    void this.pause(SETTLE_SWEEP_MS).then(async () => {
      if (this.stopped || this.client !== client) return;
      await this.reconcile(client).catch((err: Error) =>
        this.logger.debug({ err: err.message }, "settle sweep failed"),
      );
    });
    return this.untilStopped(streamEnded);
  }

  private onEvent(event: ContainerdEvent): void {
    if (event.kind === "other" || event.kind === "ContainerCreate" || !this.namespaces.has(event.namespace)) return;
    const { namespace, containerId } = event;
    const key = containerKey(namespace, containerId);
    switch (event.kind) {
      case "TaskCreate": // carries the pid before the process runs the image's command
      case "TaskStart": // TaskCreate may have been missed (or failed to attach)
        this.touch(key);
        void this.enqueue(key, () => this.attach(namespace, containerId, event.pid, event.kind));
        return;
      case "TaskExit":
      case "TaskDelete":
        if (!isInitProcess(event)) return; // an exec ended, the task lives on
        this.touch(key);
        void this.enqueue(key, () => this.detach(namespace, containerId, event.kind));
        return;
      case "ContainerDelete":
        this.touch(key);
        void this.enqueue(key, () => this.detach(namespace, containerId, event.kind));
        return;
    }
  }

  private touch(key: string): void {
    if (this.syncing) this.touchedDuringSync.add(key);
  }

  /** Lists containers and tasks, detaches what vanished, attaches what is new. Returns live containers. */
  private reconcile(client: ContainerdClient): Promise<number> {
    // One at a time: a sweep of the old connection may still run when a new one lists.
    const run = this.reconciling.then(() => this.reconcileNow(client));
    this.reconciling = run.catch(() => undefined);
    return run;
  }

  private async reconcileNow(client: ContainerdClient): Promise<number> {
    this.touchedDuringSync.clear();
    this.syncing = true;
    try {
      const live = await listLiveContainers(client, this.namespaces, containerKey);
      const work: Promise<void>[] = [];
      for (const [key, record] of this.attached) {
        if (live.has(key)) continue;
        work.push(
          this.enqueue(key, async () => {
            if (!this.touchedDuringSync.has(key)) this.detach(record.namespace, record.id, "list");
          }),
        );
      }
      for (const [key, { namespace, container, pid }] of live) {
        work.push(
          this.enqueue(key, async () => {
            if (!this.touchedDuringSync.has(key)) await this.attach(namespace, container, pid, "list");
          }),
        );
      }
      await Promise.all(work);
      return live.size;
    } finally {
      this.syncing = false;
      this.touchedDuringSync.clear();
    }
  }

  /** Attaches (or re-attaches with a new pid). Errors are logged; the next event retries. */
  private async attach(
    namespace: string,
    container: ContainerdContainer | string,
    pid: number,
    trigger: string,
  ): Promise<void> {
    const id = typeof container === "string" ? container : container.id;
    const key = containerKey(namespace, id);
    if (this.attached.get(key)?.pid === pid) return;
    const client = this.client;
    if (!client || this.stopped) return;
    try {
      const { record, warnings } = await readContainerRecord(client, namespace, container, pid, this.chainCache);
      if (this.stopped) return;
      for (const warning of warnings) this.logger.warn({ namespace, container: id }, warning);
      this.attached.set(key, record);
      this.logger.info({ namespace, container: id, pid, trigger, image: record.image }, "container attached");
      this.emitSafe("attach", record);
    } catch (err) {
      // A container removed before we read it is normal churn; anything else needs a look.
      const gone = err instanceof ContainerdError && err.notFound;
      this.logger[gone ? "debug" : "warn"](
        { namespace, container: id, pid, trigger, err: errorMessage(err) },
        "cannot attach container; will retry on its next event",
      );
    }
  }

  private detach(namespace: string, id: string, trigger: string): void {
    const key = containerKey(namespace, id);
    if (!this.attached.delete(key) || this.stopped) return;
    this.logger.info({ namespace, container: id, trigger }, "container detached");
    this.emitSafe("detach", namespace, id);
  }

  /** Runs fn after every earlier piece of work for the same container. Never rejects. */
  private enqueue(key: string, fn: () => Promise<void> | void): Promise<void> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(fn)
      .catch((err: unknown) => this.logger.error({ container: key, err }, "container work failed"))
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    this.queues.set(key, next);
    return next;
  }

  /** Emits without letting a throwing listener break the watcher. */
  private emitSafe<E extends keyof RuntimeWatcherEvents>(event: E, ...args: EventArgs<RuntimeWatcherEvents>[E]): void {
    try {
      // EventEmitter's conditional parameter type does not narrow on a generic E.
      (this.emit as (event: E, ...args: EventArgs<RuntimeWatcherEvents>[E]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ event, err }, "runtime watcher listener threw");
    }
  }

  /** Waits ms, or less if stop() is called. */
  private async pause(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.untilStopped(new Promise((resolve) => (timer = setTimeout(resolve, ms))));
    } catch {
      // stopped
    } finally {
      clearTimeout(timer);
    }
  }

  private untilStopped<T>(promise: Promise<T>): Promise<T> {
    return Promise.race([promise, this.stopSignal]);
  }
}
