// A private containerd for tests and benchmarks: its own root, state and sockets in a temp
// dir, driven with ctr. Containers live in a namespace unique to the bed, because runc
// keeps its state under /run/containerd/runc/<namespace>/<id> whatever containerd's root is.
//
//   const bed = await ContainerdTestBed.start();
//   await bed.importImage(image.archive);
//   await bed.run("c1", image.name, ["sleep", "1000"], { labels: { "io.kubernetes.pod.name": "p" } });
//   const { code, stdout } = await bed.exec("c1", ["echo", "hi"]);
//   await bed.stop(); // removes everything, also after a failed test
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { componentLogger, type Logger } from "../../src/log/logger";
import { namespaceProcessPids, removeNamespaceCgroups, shimPidsFor, unmountUnder } from "./hostCleanup";
import { scratchDir } from "./ociImage";
import { runCommand, waitForSocket, type CommandResult } from "./processes";

export interface BindMountSpec {
  type: string;
  source: string;
  destination: string;
  options: string[];
}

export interface RunOptions {
  labels?: Record<string, string>;
  mounts?: BindMountSpec[];
  namespace?: string;
  /** More `ctr run` flags: --privileged, --cap-add CAP_X, --with-ns pid:PATH, --net-host, ... */
  flags?: string[];
}

export type ExecResult = CommandResult;

const SOCKET_TIMEOUT_MS = 15_000;
const CTR_TIMEOUT_MS = 60_000;
let beds = 0;
let execs = 0;

export class ContainerdTestBed {
  /** Socket path of containerd's gRPC API (pass it to ContainerdClient / RuntimeWatcher). */
  readonly address: string;
  /** containerd's root: snapshots are under <root>/io.containerd.snapshotter.v1.overlayfs. */
  readonly root: string;
  readonly state: string;
  /** Milliseconds from spawning containerd to its socket accepting, for each (re)start. */
  readonly startupMs: number[] = [];
  private child?: ChildProcess;
  private readonly created = new Set<string>(); // "namespace/id"
  private stopped = false;
  private criConfig?: string;

  private constructor(
    /** The temp dir holding everything. */
    readonly dir: string,
    /** Default namespace of every call; unique to this bed. */
    readonly namespace: string,
    private readonly logger: Logger,
  ) {
    this.address = path.join(dir, "containerd.sock");
    this.root = path.join(dir, "root");
    this.state = path.join(dir, "state");
  }

  /** Writes the config, starts containerd and waits for its socket. */
  /** cri: the CRI plugin's TOML tables (kube/KubeNode.ts); without it the plugin is off. */
  static async start(
    options: { namespace?: string; logger?: Logger; cri?: (dir: string) => string } = {},
  ): Promise<ContainerdTestBed> {
    const began = performance.now();
    const { dir } = scratchDir("containerd");
    const namespace = options.namespace ?? `dgtest-${process.pid}-${++beds}`;
    const bed = new ContainerdTestBed(dir, namespace, options.logger ?? componentLogger("containerd-testbed"));
    bed.criConfig = options.cri?.(dir);
    try {
      fs.writeFileSync(bed.configPath, bed.config());
      await bed.startContainerd();
    } catch (err) {
      await bed.stop().catch(() => undefined);
      throw err;
    }
    bed.logger.info({ dir, namespace, totalMs: Math.round(performance.now() - began) }, "containerd test bed ready");
    return bed;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private get configPath(): string {
    return path.join(this.dir, "config.toml");
  }

  private config(): string {
    // The CRI plugin is not needed for ctr and adds start-up work; snapshotters that need
    // btrfs, zfs or devmapper only log errors and stay unused.
    return [
      "version = 2",
      `root = "${this.root}"`,
      `state = "${this.state}"`,
      ...(this.criConfig === undefined ? ['disabled_plugins = ["io.containerd.grpc.v1.cri"]'] : []),
      "[grpc]",
      `  address = "${this.address}"`,
      "[ttrpc]",
      `  address = "${this.address}.ttrpc"`,
      this.criConfig ?? "",
      "",
    ].join("\n");
  }

  /** Starts containerd (again, with the same root); resolves when the socket accepts. */
  async startContainerd(): Promise<number> {
    if (this.running) throw new Error("containerd is already running");
    const began = performance.now();
    const log = fs.openSync(path.join(this.dir, "containerd.log"), "a");
    const child = spawn("containerd", ["--config", this.configPath], { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    this.child = child;
    const exited = new Promise<never>((_resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        reject(new Error(`containerd exited during start-up (code ${code}, signal ${signal}): ${this.logTail()}`)),
      );
    });
    exited.catch(() => undefined);
    await Promise.race([waitForSocket(this.address, SOCKET_TIMEOUT_MS), exited]);
    const ms = Math.round(performance.now() - began);
    this.startupMs.push(ms);
    this.logger.info({ pid: child.pid, startupMs: ms }, "containerd started");
    return ms;
  }

  /** Stops containerd by its pid (SIGTERM, then SIGKILL after 5 s). Tasks keep running in their shims. */
  async stopContainerd(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    this.logger.info({ pid: child.pid }, "containerd stopped");
  }

  /** Stops and starts containerd with the same root and state; returns the start-up ms. */
  async restartContainerd(): Promise<number> {
    await this.stopContainerd();
    return this.startContainerd();
  }

  /** Runs ctr against this containerd; rejects with ctr's stderr on failure. */
  async ctr(args: string[], namespace = this.namespace): Promise<string> {
    const result = await runCommand("ctr", ["-a", this.address, "-n", namespace, ...args], CTR_TIMEOUT_MS);
    if (result.code !== 0) {
      throw new Error(
        `ctr ${args.join(" ")} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`,
      );
    }
    return result.stdout;
  }

  /** Imports an OCI archive (see ociImage.ts) and unpacks it for the overlayfs snapshotter. */
  async importImage(archive: string, namespace = this.namespace): Promise<void> {
    await this.ctr(["images", "import", archive], namespace);
  }

  /** `ctr run -d`: creates container `id` from `image` and starts `argv` in it. */
  async run(id: string, image: string, argv: string[], options: RunOptions = {}): Promise<void> {
    const namespace = options.namespace ?? this.namespace;
    const labels = Object.entries(options.labels ?? {}).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    const mounts = (options.mounts ?? []).flatMap((m) => [
      "--mount",
      `type=${m.type},src=${m.source},dst=${m.destination},options=${m.options.join(":")}`,
    ]);
    this.created.add(`${namespace}/${id}`); // before: a failed run may leave a container behind
    const flags = options.flags ?? [];
    await this.ctr(["run", "-d", "--null-io", ...labels, ...mounts, ...flags, image, id, ...argv], namespace);
  }

  /** Runs argv in the container's task and returns its exit code and output (never throws on exit code). */
  async exec(id: string, argv: string[], namespace = this.namespace): Promise<ExecResult> {
    const execId = `exec-${process.pid}-${++execs}`;
    return runCommand(
      "ctr",
      ["-a", this.address, "-n", namespace, "task", "exec", "--exec-id", execId, id, ...argv],
      CTR_TIMEOUT_MS,
    );
  }

  /** Tasks of the namespace as ctr lists them: id → { pid, status }. */
  async tasks(namespace = this.namespace): Promise<Map<string, { pid: number; status: string }>> {
    const out = await this.ctr(["task", "ls"], namespace);
    const tasks = new Map<string, { pid: number; status: string }>();
    for (const line of out.split("\n").slice(1)) {
      const [id, pid, status] = line.trim().split(/\s+/);
      if (id && pid) tasks.set(id, { pid: Number(pid), status });
    }
    return tasks;
  }

  /** Pid of the task's init process, from `ctr task ls`. */
  async taskPid(id: string, namespace = this.namespace): Promise<number> {
    const task = (await this.tasks(namespace)).get(id);
    if (!task) throw new Error(`no task ${id} in namespace ${namespace}`);
    return task.pid;
  }

  /** Signals the task and waits (up to 10 s) until it stopped. */
  async kill(id: string, signal = "SIGKILL", namespace = this.namespace): Promise<void> {
    await this.ctr(["task", "kill", "-s", signal, id], namespace);
    const deadline = Date.now() + 10_000;
    while ((await this.tasks(namespace)).get(id)?.status === "RUNNING") {
      if (Date.now() > deadline) throw new Error(`task ${id} still running 10 s after ${signal}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Deletes the task (killing it) and the container with its snapshot. Missing parts are fine. */
  async remove(id: string, namespace = this.namespace): Promise<void> {
    await this.ctr(["task", "rm", "-f", id], namespace).catch(ignoreNotFound);
    await this.ctr(["containers", "rm", id], namespace).catch(ignoreNotFound);
    this.created.delete(`${namespace}/${id}`);
  }

  /**
   * Removes every container this bed created, stops containerd, unmounts what is left
   * under the temp dir and deletes it. Safe to call more than once and after failures.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    if (this.created.size > 0 && !this.running && fs.existsSync(this.configPath)) {
      await attempt("restart containerd for clean-up", () => this.startContainerd().then(() => undefined));
    }
    for (const key of [...this.created]) {
      const [namespace, id] = splitKey(key);
      await attempt(`remove ${key}`, () => this.remove(id, namespace));
    }
    await attempt("stop containerd", () => this.stopContainerd());
    // Last resort, for tasks containerd could not delete: the processes in the bed's
    // namespace cgroups and the shims serving the bed's socket, by pid.
    const namespaces = new Set([this.namespace, ...[...this.created].map((key) => splitKey(key)[0])]);
    const leftovers = [...namespaces].flatMap(namespaceProcessPids).concat(shimPidsFor(this.address));
    for (const pid of leftovers) await attempt(`kill ${pid}`, () => killIfAlive(pid));
    if (leftovers.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const namespace of namespaces) await attempt("remove cgroups", () => removeNamespaceCgroups(namespace));
    await attempt("unmount", () => unmountUnder(this.dir));
    await attempt("remove dir", () => fs.rmSync(this.dir, { recursive: true, force: true }));
    if (problems.length > 0) {
      this.logger.error({ problems }, "containerd test bed clean-up incomplete");
      throw new Error(`containerd test bed clean-up incomplete: ${problems.join("; ")}`);
    }
    this.logger.info({ dir: this.dir }, "containerd test bed removed");
  }

  private logTail(): string {
    try {
      return fs.readFileSync(path.join(this.dir, "containerd.log"), "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf("/");
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // exited meanwhile
  }
}

function ignoreNotFound(err: Error): void {
  if (!/not found/i.test(err.message)) throw err;
}
